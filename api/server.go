package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/figcheck/figcheck/cache"
	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/configs"
	"github.com/figcheck/figcheck/rules"
	"github.com/figcheck/figcheck/store"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
)

// Server is the figcheck service.
type Server struct {
	cfg      Config
	log      *slog.Logger
	load     func() (*rules.Ruleset, error)
	ruleset  atomic.Pointer[rules.Ruleset]
	reloadMu sync.Mutex
	checker  checker.Checker
	cache    *cache.Cache
	redis    redis.UniversalClient
	metrics  *metrics
	engine   *gin.Engine
	http     *http.Server
	started  time.Time
	trail    auditTrail  // access control, receipts, decision log (trail.go, access.go)
	store    store.Store // the system of record (store.go)
}

// Options are the dependencies a Server is given.
type Options struct {
	// Registerer receives the metrics; Gatherer serves /metrics. Both
	// default to a new registry of the server's own.
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
	Logger     *slog.Logger
	// Load builds a ruleset; the default loads Config.Rules.
	Load func() (*rules.Ruleset, error)
}

// New builds a server and loads the ruleset. A ruleset that does not load
// is logged and the server starts without one: it is not ready, answers
// checks with 503, and a reload that succeeds makes it ready.
func New(cfg Config, opts Options) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Registerer == nil {
		reg := prometheus.NewRegistry()
		opts.Registerer, opts.Gatherer = reg, reg
		registerRuntime(reg)
	}
	if opts.Gatherer == nil {
		return nil, errors.New("api: a Registerer needs its Gatherer")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: opts.Logger, load: opts.Load, metrics: newMetrics(opts.Registerer), started: time.Now()}
	if s.load == nil {
		s.load = func() (*rules.Ruleset, error) { return configs.LoadRules(cfg.Rules) }
	}
	if cfg.RedisURL != "" {
		client, err := newRedisClient(cfg.RedisURL)
		if err != nil {
			return nil, err
		}
		s.redis = client
	}
	readRedis := false // the default: see DefaultConfig
	if cfg.Cache.RedisRead != nil {
		readRedis = *cfg.Cache.RedisRead
	}
	c, err := cache.New(cache.Options{
		Size: cfg.Cache.Size, TTL: cfg.Cache.TTL, Redis: s.redis, Prefix: cfg.Cache.Prefix,
		Timeout: cfg.Cache.RedisTimeout, Backoff: cfg.Cache.RedisBackoff, ReadRedis: readRedis,
		Observe: func(tier, result string) { s.metrics.cacheRequests.WithLabelValues(tier, result).Inc() },
		Logger:  s.log,
	})
	if err != nil {
		return nil, err
	}
	s.cache = c
	if err := s.openStore(); err != nil { // before the audit trail: the db sink writes to it
		return nil, errors.Join(err, c.Close(context.Background()))
	}
	if err := s.setupAuditTrail(opts.Registerer); err != nil {
		return nil, errors.Join(err, c.Close(context.Background()), s.store.Close())
	}
	if _, err := s.Reload(); err != nil {
		s.log.Error("ruleset did not load; serving no checks until a reload succeeds", "rules", cfg.Rules, "err", err)
	}
	s.engine = s.routes(opts.Gatherer)
	s.http = s.newHTTPServer() // here, not in Serve: Shutdown may run concurrently with Serve
	return s, nil
}

// newRedisClient makes a client from a URL: redis://host:port/db for one
// server, ?master_name=NAME (with more sentinels as addr=) for Sentinel,
// and addr= parameters without master_name for a Cluster. Timeouts are
// short: a request never waits long for Redis; the cache's breaker retries.
func newRedisClient(raw string) (redis.UniversalClient, error) {
	return newRedisClientWith(raw, 200*time.Millisecond, 100*time.Millisecond)
}

// newRedisClientWith is newRedisClient with other dial and read/write
// timeouts (the decision log's batches may take longer than a cache get).
func newRedisClientWith(raw string, dial, rw time.Duration) (redis.UniversalClient, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	q := u.Query()
	switch {
	case q.Has("master_name"):
		o, err := redis.ParseFailoverURL(raw)
		if err != nil {
			return nil, fmt.Errorf("redis sentinel url: %w", err)
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.MaxRetries = dial, rw, rw, -1
		return redis.NewFailoverClient(o), nil
	case q.Has("addr"):
		o, err := redis.ParseClusterURL(raw)
		if err != nil {
			return nil, fmt.Errorf("redis cluster url: %w", err)
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.MaxRetries = dial, rw, rw, -1
		return redis.NewClusterClient(o), nil
	}
	o, err := redis.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.MaxRetries = dial, rw, rw, -1
	return redis.NewClient(o), nil
}

func (s *Server) routes(g prometheus.Gatherer) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	e.Use(s.requestID, s.observeHTTP, gin.CustomRecoveryWithWriter(nil, recovered), s.authorize) // roles: routeLevels in auth.go
	e.NoRoute(notFound)
	e.NoMethod(methodNotAllowed)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", handle(s.readyz))
	e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(g, promhttp.HandlerOpts{})))
	e.POST("/-/reload", handle(s.reload))
	e.GET("/", consolePage("unit.html"))
	e.GET("/audit", consolePage("audit.html"))
	e.GET("/ui/*filepath", consoleAsset)

	v1 := e.Group("/v1")
	v1.POST("/check", handle(s.docxUpload(true)), handle(s.check))
	v1.POST("/check/batch", handle(s.checkBatch))
	v1.POST("/audit", handle(s.audit))
	v1.POST("/extract", handle(s.docxUpload(false)), handle(s.extractFigures))
	v1.GET("/forms", handle(s.listForms))
	v1.GET("/forms/:form", handle(s.getForm))
	v1.GET("/forms/:form/rules", handle(s.getRules))
	v1.GET("/forms/:form/template.xlsx", handle(s.template))
	v1.GET("/decisions", handle(s.decisions))
	v1.GET("/decisions/flagged", handle(s.flagged))
	v1.POST("/receipts/verify", handle(s.verifyReceipt))
	v1.POST("/receipts/qr", handle(s.receiptQR))
	v1.POST("/submissions", handle(s.submit))
	v1.GET("/submissions", handle(s.listSubmissions))
	v1.GET("/submissions/:id", handle(s.getSubmission))
	return e
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.engine }

func (s *Server) newHTTPServer() *http.Server {
	t := s.cfg.Timeouts
	return &http.Server{
		Handler: s.engine, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read,
		WriteTimeout: t.Write, IdleTimeout: t.Idle,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// Serve answers requests on ln until Shutdown (at once, after it).
func (s *Server) Serve(ln net.Listener) error {
	err := s.http.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting requests, waits for those in flight, then
// closes the dependencies in the reverse order of their creation: the
// cache (flushing queued Redis writes), then the Redis client.
func (s *Server) Shutdown(ctx context.Context) error {
	var errs []error
	if s.http != nil {
		errs = append(errs, s.http.Shutdown(ctx))
	}
	errs = append(errs, s.closeAuditTrail(ctx)) // flushes the decision log
	errs = append(errs, s.store.Close())        // after the log: its db sink writes here
	errs = append(errs, s.cache.Close(ctx))
	if s.redis != nil {
		errs = append(errs, s.redis.Close())
	}
	return errors.Join(errs...)
}

// Ruleset returns the ruleset being served, or nil.
func (s *Server) Ruleset() *rules.Ruleset { return s.ruleset.Load() }

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

func (s *Server) readyz(c *gin.Context) error {
	rs := s.ruleset.Load()
	redisState := "disabled"
	if configured, _ := s.cache.RedisHealthy(); configured {
		redisState = "ok"
		if err := s.cache.Ping(c.Request.Context()); err != nil {
			redisState = "degraded"
		}
	}
	storeState := s.storeState(c.Request.Context()) // store.go
	if rs == nil {
		return apiError(CodeNoRuleset, "no ruleset is loaded", gin.H{"redis": redisState, "store": storeState})
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "ruleset": rs.Digest, "forms": len(rs.Forms), "redis": redisState, "store": storeState})
	return nil
}
