package api

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/figcheck/figcheck/decisionlog"
	"github.com/figcheck/figcheck/receipt"
)

// DecisionLogConfig chooses and tunes the decision log's sink.
type DecisionLogConfig struct {
	// Sink is db, file, redis, stdout or off; empty means db when a
	// database is configured (Config.DB), else redis when a Redis URL is,
	// else file.
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
	// until shutdown.
	MaxAttempts int `yaml:"max_attempts"`
	// RetentionDays deletes db sink entries older than this many days
	// (checked hourly, each deletion logged); 0 keeps them forever.
	RetentionDays int `yaml:"retention_days"`
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

// errTestStateDir refuses the real state directory to a test binary.
var errTestStateDir = errors.New("a test must not use the real state directory: set XDG_STATE_HOME (or decision_log.path and receipts.dev_key_file) to t.TempDir()")

// stateDir is where figcheck keeps its own files by default. A test binary
// gets an error instead of $HOME's directory unless XDG_STATE_HOME is set:
// tests once mixed their entries into a person's own decision log and dev
// key, and forgetting to give a test its own directory must fail, not
// write there.
func stateDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "figcheck"), nil
	}
	if testing.Testing() {
		return "", errTestStateDir
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "figcheck"), nil
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("figcheck-%d", os.Getuid())), nil
}

// decisionSink is the sink the config asks for.
func (c Config) decisionSink() string {
	if c.DecisionLog.Sink == "" {
		if c.DB != "" {
			return "db"
		}
		if c.RedisURL != "" {
			return "redis"
		}
		return "file"
	}
	return c.DecisionLog.Sink
}

func (c Config) validateAuditTrail() error {
	errs := []error{c.validateAccess()}
	d := c.DecisionLog
	switch c.decisionSink() {
	case "file", "stdout", "off", "db":
	case "redis":
		if c.RedisURL == "" {
			errs = append(errs, errors.New("decision_log.sink redis needs a redis url"))
		}
	default:
		errs = append(errs, fmt.Errorf("decision_log.sink %q: want db, file, redis, stdout or off", d.Sink))
	}
	switch d.Fsync {
	case "", decisionlog.SyncAlways, decisionlog.SyncInterval, decisionlog.SyncNever:
	default:
		errs = append(errs, fmt.Errorf("decision_log.fsync %q: want always, interval or never", d.Fsync))
	}
	if d.MaxBytes < 0 || d.MaxBackups < 0 || d.Queue < 0 || d.MaxLen < 0 || d.MaxAttempts < 0 || d.RetentionDays < 0 {
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
			dir, err := stateDir()
			if err != nil {
				return nil, err
			}
			path = filepath.Join(dir, "receipt-dev.key")
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
