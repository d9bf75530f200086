package auth

import (
	"strconv"
	"sync"
	"time"

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
func (l *Limiter) Allow(name string) bool { return l.AllowN(name, 1) }

// AllowN takes n requests from name's bucket at once, or none: a batch of
// n checks costs what n requests cost. More than the burst is never
// allowed.
func (l *Limiter) AllowN(name string, n int) bool {
	if l == nil || n <= 0 {
		return true
	}
	l.mu.Lock()
	lim, ok := l.per[name]
	if !ok {
		lim = rate.NewLimiter(l.rate, l.burst)
		l.per[name] = lim
	}
	l.mu.Unlock()
	return lim.AllowN(time.Now(), n)
}

// Burst is the most requests one name may make at once; 0 for no limit.
func (l *Limiter) Burst() int {
	if l == nil {
		return 0
	}
	return l.burst
}

// String names the limit: "50 a second, bursts of 1000".
func (l *Limiter) String() string {
	if l == nil {
		return "no limit"
	}
	return strconv.FormatFloat(float64(l.rate), 'f', -1, 64) + " a second, bursts of " + strconv.Itoa(l.burst)
}
