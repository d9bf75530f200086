package api

import (
	"errors"
	"fmt"
	"net"
)

// RateLimitConfig limits the requests of each token.
type RateLimitConfig struct {
	// PerSecond is each token's sustained rate; 0 turns the limit off.
	PerSecond float64 `yaml:"per_second"`
	Burst     int     `yaml:"burst"`
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

// validateAccess checks who may reach the service: an open server only on
// loopback unless insecure, and rate limits that are not negative.
func (c Config) validateAccess() error {
	var errs []error
	if c.Tokens == "" && !c.Insecure && c.Addr != "" && !IsLoopback(c.Addr) {
		errs = append(errs, fmt.Errorf("addr %s is not loopback and no tokens file is set: give one (figcheck token add), or --insecure to serve it open", c.Addr))
	}
	if c.RateLimit.PerSecond < 0 || c.RateLimit.Burst < 0 {
		errs = append(errs, errors.New("rate_limit must not be negative"))
	}
	return errors.Join(errs...)
}
