package auth

import (
	"sync"

	"golang.org/x/time/rate"
)

// Limiter is a token-bucket rate limit per token name.
type Limiter struct {
	rate  rate.Limit
	burst int

	mu  sync.Mutex
	per map[string]*rate.Limiter
}

// NewLimiter allows each name perSecond requests a second with bursts of
// burst; perSecond <= 0 means no limit (a nil *Limiter allows everything).
func NewLimiter(perSecond float64, burst int) *Limiter {
	if perSecond <= 0 {
		return nil
	}
	return &Limiter{rate: rate.Limit(perSecond), burst: max(burst, 1), per: map[string]*rate.Limiter{}}
}

// Allow takes one request from name's bucket.
func (l *Limiter) Allow(name string) bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	lim, ok := l.per[name]
	if !ok {
		lim = rate.NewLimiter(l.rate, l.burst)
		l.per[name] = lim
	}
	l.mu.Unlock()
	return lim.Allow()
}
