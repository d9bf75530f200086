-- The failed attempts on their own: /v1/decisions/flagged starts from
-- them (a series can only be flagged after a failure), so it reads the
-- failures of a period, not every attempt.

-- +goose Up
CREATE INDEX decisions_failed ON decisions (period, form, unit, time_ns) WHERE verdict = 'fail';

-- +goose Down
DROP INDEX decisions_failed;
