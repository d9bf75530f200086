package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/figcheck/figcheck/api"
)

// serveSettings resolves the service's settings: defaults, then the config
// file, then FIGCHECK_* variables, then flags, each winning over the last.
func serveSettings(args []string, getenv func(string) string, stderr io.Writer) (api.Config, int, bool) {
	fs := newFlags("serve", stderr)
	configPath := fs.String("config", "", "YAML config `file` (see configs/figcheck.yaml)")
	addr := fs.String("addr", "", "listen `address` (default 127.0.0.1:8080; env FIGCHECK_ADDR)")
	rulesDir := fs.String("rules", "", "rules `directory` (default configs/forms; env FIGCHECK_RULES)")
	redisURL := fs.String("redis", "", "Redis `URL` for the shared cache (env FIGCHECK_REDIS_URL)")
	dbURL := fs.String("db", "", "database `URL` of the system of record: sqlite:PATH or postgres://… (default a SQLite file in the state directory; env FIGCHECK_DB)")
	watch := fs.Bool("watch", false, "reload the rules when their files change")
	tokens := fs.String("tokens", "", "tokens `file` (figcheck token add); without one the service is open, loopback only (env FIGCHECK_TOKENS)")
	insecure := fs.Bool("insecure", false, "allow serving a non-loopback address without a tokens file")
	if code, ok := parseFlags(fs, args); !ok {
		return api.Config{}, code, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "figcheck serve: unexpected argument %q\n", fs.Arg(0))
		return api.Config{}, exitBadArgs, false
	}
	cfg := api.DefaultConfig()
	if *configPath != "" {
		var err error
		if cfg, err = api.LoadConfigFile(*configPath); err != nil {
			fmt.Fprintf(stderr, "figcheck serve: config: %v\n", err)
			return api.Config{}, exitBadArgs, false
		}
	}
	for name, dst := range map[string]*string{
		"FIGCHECK_ADDR": &cfg.Addr, "FIGCHECK_RULES": &cfg.Rules, "FIGCHECK_REDIS_URL": &cfg.RedisURL,
		"FIGCHECK_TOKENS": &cfg.Tokens, "FIGCHECK_DB": &cfg.DB,
	} {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "addr":
			cfg.Addr = *addr
		case "rules":
			cfg.Rules = *rulesDir
		case "redis":
			cfg.RedisURL = *redisURL
		case "db":
			cfg.DB = *dbURL
		case "watch":
			cfg.Watch = *watch
		case "tokens":
			cfg.Tokens = *tokens
		case "insecure":
			cfg.Insecure = *insecure
		}
	})
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "figcheck serve: %v\n", err)
		return api.Config{}, exitBadArgs, false
	}
	return cfg, 0, true
}

func runServe(args []string, _ io.Reader, _, stderr io.Writer) int {
	cfg, code, ok := serveSettings(args, os.Getenv, stderr)
	if !ok {
		return code
	}
	logger := newLogger(stderr)
	srv, err := api.New(cfg, api.Options{Logger: logger})
	if err != nil {
		fmt.Fprintf(stderr, "figcheck serve: %v\n", err)
		return exitBadArgs
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		fmt.Fprintf(stderr, "figcheck serve: %v\n", err)
		return exitBadArgs
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			if _, err := srv.Reload(); err != nil {
				logger.Warn("reload on SIGHUP failed; keeping the previous ruleset", "err", err)
			}
		}
	}()
	if cfg.Watch {
		go func() {
			if err := srv.Watch(ctx); err != nil {
				logger.Warn("not watching the rules", "err", err)
			}
		}()
	}
	logger.Info("figcheck listening", "addr", ln.Addr().String(), "rules", cfg.Rules, "redis", cfg.RedisURL != "")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		logger.Error("server stopped", "err", err)
		return exitFail
	case <-ctx.Done():
	}
	logger.Info("shutting down", "grace", cfg.Timeouts.Shutdown)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Timeouts.Shutdown)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Error("shutdown", "err", err)
		return exitFail
	}
	return exitOK
}

// newLogger logs text to a terminal and JSON otherwise.
func newLogger(w io.Writer) *slog.Logger {
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return slog.New(slog.NewTextHandler(w, nil))
		}
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}
