package api

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/figcheck/figcheck/decisionlog"
	"github.com/figcheck/figcheck/receipt"
)

// RateLimitConfig limits the requests of each token.
type RateLimitConfig struct {
	// PerSecond is each token's sustained rate; 0 turns the limit off.
	PerSecond float64 `yaml:"per_second"`
	Burst     int     `yaml:"burst"`
}

// DecisionLogConfig chooses and tunes the decision log's sink.
type DecisionLogConfig struct {
	// Sink is file, redis, stdout or off; empty means redis when a Redis
	// URL is configured and file otherwise.
	Sink string `yaml:"sink"`
	// Path is the JSONL file (default $XDG_STATE_HOME/figcheck/decisions.jsonl).
	Path       string `yaml:"path"`
	MaxBytes   int64  `yaml:"max_bytes"`
	MaxBackups int    `yaml:"max_backups"`
	// Fsync is always, interval or never.
	Fsync         string        `yaml:"fsync"`
	FsyncInterval time.Duration `yaml:"fsync_interval"`
	// Stream is the Redis stream key; MaxLen trims it approximately.
	Stream string `yaml:"stream"`
	MaxLen int64  `yaml:"max_len"`
	// Queue bounds the entries waiting to be written.
	Queue int `yaml:"queue"`
	// MaxAttempts drops a batch after this many failed writes; 0 retries
	// until shutdown. Not used with a spill.
	MaxAttempts int `yaml:"max_attempts"`
	// Spill is the local file where entries wait while the queue is full
	// or the sink is down (default Path + ".spill"; "off": none, and a
	// full queue drops entries).
	Spill string `yaml:"spill"`
	// UnknownKeys and ValueBytes bound one entry (decisionlog.Limits):
	// the figures the form does not know beyond UnknownKeys, and values
	// over ValueBytes, are summarised (0: the defaults, 16 and 256).
	UnknownKeys int `yaml:"entry_unknown_keys"`
	ValueBytes  int `yaml:"entry_value_bytes"`
}

// SpillOff turns the decision log's spill off.
const SpillOff = "off"

// path is the decision log file, given or default.
func (d DecisionLogConfig) path() string {
	if d.Path != "" {
		return d.Path
	}
	return filepath.Join(stateDir(), "decisions.jsonl")
}

// spillPath is the spill file for sink, "" for none.
func (d DecisionLogConfig) spillPath(sink string) string {
	switch {
	case d.Spill == SpillOff || sink == "off":
		return ""
	case d.Spill != "":
		return d.Spill
	}
	return d.path() + ".spill"
}

// ReceiptsConfig holds the receipt signing keys; the first one signs.
type ReceiptsConfig struct {
	Keys []ReceiptKeyConfig `yaml:"keys"`
	// DevKeyFile is where the development key is kept when Keys is empty
	// (default $XDG_STATE_HOME/figcheck/receipt-dev.key).
	DevKeyFile string `yaml:"dev_key_file"`
}

// ReceiptKeyConfig is one key: an id and a base64 secret of at least 32
// bytes, given inline or in a file.
type ReceiptKeyConfig struct {
	ID         string `yaml:"id"`
	Secret     string `yaml:"secret"`
	SecretFile string `yaml:"secret_file"`
}

func defaultDecisionLog() DecisionLogConfig {
	return DecisionLogConfig{
		MaxBytes: 64 << 20, Fsync: decisionlog.SyncInterval, FsyncInterval: time.Second,
		Stream: decisionlog.DefaultStream, MaxLen: 1_000_000, Queue: 8192,
	}
}

// stateDir is where figcheck keeps its own files by default.
func stateDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "figcheck")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "figcheck")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("figcheck-%d", os.Getuid()))
}

// decisionSink is the sink the config asks for.
func (c Config) decisionSink() string {
	if c.DecisionLog.Sink == "" {
		if c.RedisURL != "" {
			return "redis"
		}
		return "file"
	}
	return c.DecisionLog.Sink
}

// IsLoopback reports whether a listen address binds loopback only.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c Config) validateAuditTrail() error {
	var errs []error
	if c.Tokens == "" && !c.Insecure && c.Addr != "" && !IsLoopback(c.Addr) {
		errs = append(errs, fmt.Errorf("addr %s is not loopback and no tokens file is set: give one (figcheck token add), or --insecure to serve it open", c.Addr))
	}
	if c.RateLimit.PerSecond < 0 || c.RateLimit.Burst < 0 {
		errs = append(errs, errors.New("rate_limit must not be negative"))
	}
	d := c.DecisionLog
	switch c.decisionSink() {
	case "file", "stdout", "off":
	case "redis":
		if c.RedisURL == "" {
			errs = append(errs, errors.New("decision_log.sink redis needs a redis url"))
		}
	default:
		errs = append(errs, fmt.Errorf("decision_log.sink %q: want file, redis, stdout or off", d.Sink))
	}
	switch d.Fsync {
	case "", decisionlog.SyncAlways, decisionlog.SyncInterval, decisionlog.SyncNever:
	default:
		errs = append(errs, fmt.Errorf("decision_log.fsync %q: want always, interval or never", d.Fsync))
	}
	if d.MaxBytes < 0 || d.MaxBackups < 0 || d.Queue < 0 || d.MaxLen < 0 || d.MaxAttempts < 0 || d.UnknownKeys < 0 || d.ValueBytes < 0 {
		errs = append(errs, errors.New("decision_log sizes must not be negative"))
	}
	for i, k := range c.Receipts.Keys {
		if k.ID == "" || (k.Secret == "") == (k.SecretFile == "") {
			errs = append(errs, fmt.Errorf("receipts.keys[%d]: want an id and one of secret, secret_file", i))
		}
	}
	return errors.Join(errs...)
}

// keyring builds the receipt keys; with none configured it loads or makes
// the development key and says so.
func (c Config) keyring(warn func(msg string, args ...any)) (*receipt.Keyring, error) {
	var keys []receipt.Key
	for _, k := range c.Receipts.Keys {
		text := k.Secret
		if k.SecretFile != "" {
			b, err := os.ReadFile(k.SecretFile)
			if err != nil {
				return nil, fmt.Errorf("receipts key %q: %w", k.ID, err)
			}
			text = string(b)
		}
		secret, err := receipt.DecodeSecret(strings.TrimSpace(text))
		if err != nil {
			return nil, fmt.Errorf("receipts key %q: %w", k.ID, err)
		}
		keys = append(keys, receipt.Key{ID: k.ID, Secret: secret})
	}
	if len(keys) == 0 {
		path := c.Receipts.DevKeyFile
		if path == "" {
			path = filepath.Join(stateDir(), "receipt-dev.key")
		}
		key, created, err := receipt.DevKey(path)
		if err != nil {
			return nil, err
		}
		warn("no receipt keys configured: signing receipts with a development key; configure receipts.keys for production",
			"file", path, "kid", key.ID, "created", created)
		keys = append(keys, key)
	}
	return receipt.NewKeyring(keys...)
}
