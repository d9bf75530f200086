package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/figcheck/figcheck/audit"
	"github.com/figcheck/figcheck/configs"
	"go.yaml.in/yaml/v3"
)

// Config is everything the service can be told. Zero values take the
// defaults of DefaultConfig.
type Config struct {
	// Addr is the listen address.
	Addr string `yaml:"addr"`
	// Rules is the rules directory. When it is the default and does not
	// exist, the forms embedded in the binary are served.
	Rules string `yaml:"rules"`
	// RedisURL enables the shared cache tier: redis://host:port/db, or
	// redis+sentinel / cluster addresses (see docs/deploy.md).
	RedisURL string `yaml:"redis"`
	// DB is the system of record (submissions, and the decision log's db
	// sink): sqlite:PATH or postgres://…; empty is a SQLite file in the
	// state directory (see store.go).
	DB string `yaml:"db"`
	// Watch reloads the ruleset when the rules directory changes.
	Watch bool `yaml:"watch"`

	Cache    CacheConfig    `yaml:"cache"`
	Limits   LimitsConfig   `yaml:"limits"`
	Timeouts TimeoutsConfig `yaml:"timeouts"`

	// Tokens is the tokens file (figcheck token add); without one the
	// service is open and must listen on loopback unless Insecure.
	Tokens    string          `yaml:"tokens"`
	Insecure  bool            `yaml:"insecure"`
	RateLimit RateLimitConfig `yaml:"rate_limit"`
	// DecisionLog and Receipts: see trail_config.go; RateLimit: access.go.
	DecisionLog DecisionLogConfig `yaml:"decision_log"`
	Receipts    ReceiptsConfig    `yaml:"receipts"`
}

// CacheConfig configures the result cache.
type CacheConfig struct {
	Size         int           `yaml:"size"`
	TTL          time.Duration `yaml:"ttl"`
	RedisTimeout time.Duration `yaml:"redis_timeout"`
	RedisBackoff time.Duration `yaml:"redis_backoff"`
	// RedisRead makes an in-process miss ask Redis before evaluating;
	// off by default (see docs/performance.md). Results are written to
	// Redis either way.
	RedisRead *bool  `yaml:"redis_read"`
	Prefix    string `yaml:"prefix"`
}

// LimitsConfig bounds what a client may send.
type LimitsConfig struct {
	CheckBody  int64 `yaml:"check_body"`
	BatchBody  int64 `yaml:"batch_body"`
	BatchItems int   `yaml:"batch_items"`
	// AuditBody bounds the upload of POST /v1/audit (0: 64 MiB).
	AuditBody int64 `yaml:"audit_body"`
	// AuditRows, AuditCells and AuditColumns bound what one audit keeps:
	// rows, rows × the form's indicators (8 bytes each), and columns of a
	// header or keys of a JSON row. AuditSheet bounds what an XLSX upload
	// may expand to (0: 8 × AuditBody). See audit.Limits.
	AuditRows    int   `yaml:"audit_rows"`
	AuditCells   int   `yaml:"audit_cells"`
	AuditColumns int   `yaml:"audit_columns"`
	AuditSheet   int64 `yaml:"audit_sheet"`
	// AuditLineBytes bounds a CSV or NDJSON line and a JSON row (0: 1 MiB).
	AuditLineBytes int `yaml:"audit_line_bytes"`
	// DocxBody bounds a .docx upload to /v1/extract and /v1/check (0:
	// 16 MiB); its text still counts against CheckBody.
	DocxBody int64 `yaml:"docx_body"`
}

// auditLimitKeys are the config keys of the audit limits, by
// audit.LimitError.Limit, for the 413 that names them.
var auditLimitKeys = map[string]string{
	"rows": "audit_rows", "cells": "audit_cells", "columns": "audit_columns", "sheet_bytes": "audit_sheet",
	"line_bytes": "audit_line_bytes",
}

// auditLimits are the audit.Limits of the service.
func (l LimitsConfig) auditLimits() audit.Limits {
	body := l.AuditBody
	if body <= 0 {
		body = 64 << 20
	}
	sheet := l.AuditSheet
	if sheet <= 0 {
		sheet = 8 * body
	}
	return audit.Limits{Rows: l.AuditRows, Cells: l.AuditCells, Columns: l.AuditColumns, SheetBytes: sheet, LineBytes: l.AuditLineBytes}
}

// TimeoutsConfig are the HTTP server's timeouts and the shutdown grace.
type TimeoutsConfig struct {
	ReadHeader time.Duration `yaml:"read_header"`
	Read       time.Duration `yaml:"read"`
	Write      time.Duration `yaml:"write"`
	Idle       time.Duration `yaml:"idle"`
	Shutdown   time.Duration `yaml:"shutdown"`
}

// DefaultRules is the rules directory used when none is given.
const DefaultRules = configs.DefaultRulesDir

// DefaultConfig is what figcheck serve runs with when told nothing.
func DefaultConfig() Config {
	return Config{
		Addr:  "127.0.0.1:8080",
		Rules: DefaultRules,
		Cache: CacheConfig{
			Size: 10000, TTL: 10 * time.Minute, RedisTimeout: 50 * time.Millisecond,
			RedisBackoff: time.Second, Prefix: "figcheck:result:",
			// Off: on the shipped form a Redis GET costs more than
			// evaluating every rule (docs/performance.md, "Service").
			// Results are still written, so turning it on shares them.
			RedisRead: new(false),
		},
		Limits: LimitsConfig{
			CheckBody: 1 << 20, BatchBody: 16 << 20, BatchItems: 1000, AuditBody: 64 << 20, DocxBody: 16 << 20,
			// 20 million figures are 160 MB: with the rest of an audit, a
			// server stays under 1 GB whatever is uploaded (docs/security.md).
			AuditRows: 1_000_000, AuditCells: 20_000_000, AuditColumns: 10_000,
		},
		Timeouts: TimeoutsConfig{
			ReadHeader: 5 * time.Second, Read: 30 * time.Second, Write: 60 * time.Second,
			Idle: 120 * time.Second, Shutdown: 10 * time.Second,
		},
		// A burst of a whole batch (limits.batch_items): a batch costs one
		// request per item, and one larger than the burst is refused.
		RateLimit:   RateLimitConfig{PerSecond: 50, Burst: 1000},
		DecisionLog: defaultDecisionLog(),
	}
}

// LoadConfigFile reads a YAML config file strictly (unknown keys are
// errors) over the defaults.
func LoadConfigFile(path string) (Config, error) {
	cfg := DefaultConfig()
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	// Not validated here: variables and flags may still complete it (a
	// Redis URL, a tokens file); the caller validates the final settings.
	return cfg, nil
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("addr must not be empty"))
	}
	if c.Cache.Size < 0 {
		errs = append(errs, errors.New("cache.size must not be negative"))
	}
	if l := c.Limits; l.CheckBody <= 0 || l.BatchBody <= 0 || l.BatchItems <= 0 || l.AuditBody < 0 || l.DocxBody < 0 ||
		l.AuditRows < 0 || l.AuditCells < 0 || l.AuditColumns < 0 || l.AuditSheet < 0 || l.AuditLineBytes < 0 {
		errs = append(errs, errors.New("limits must be positive"))
	}
	errs = append(errs, c.validateAuditTrail())
	return errors.Join(errs...)
}
