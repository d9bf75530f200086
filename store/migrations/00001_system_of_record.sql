-- The system of record: submissions, kept in versions, and the decision
-- log. The same SQL serves SQLite and PostgreSQL: text, integers, and
-- times as Unix nanoseconds (exact, and ordered like the entries' times).

-- +goose Up
CREATE TABLE submissions (
    id              TEXT PRIMARY KEY,
    form            TEXT NOT NULL,
    unit            TEXT NOT NULL,
    period          TEXT NOT NULL,
    version         INTEGER NOT NULL,
    created_ns      BIGINT NOT NULL,
    verdict         TEXT NOT NULL,
    ruleset         TEXT NOT NULL,
    digest          TEXT NOT NULL,
    actor           TEXT NOT NULL,
    role            TEXT NOT NULL,
    figures         TEXT NOT NULL,
    previous        TEXT NOT NULL,
    previous_source TEXT NOT NULL,
    explanations    TEXT NOT NULL,
    result          TEXT NOT NULL,
    receipt         TEXT NOT NULL,
    -- A resubmission is a new version; the highest is current. The index
    -- behind this constraint answers "the current version" directly.
    CONSTRAINT submissions_version UNIQUE (form, unit, period, version)
);
CREATE INDEX submissions_by_period ON submissions (form, period, unit, version);

CREATE TABLE decisions (
    id      TEXT PRIMARY KEY,
    time_ns BIGINT NOT NULL,
    form    TEXT NOT NULL,
    unit    TEXT NOT NULL,
    period  TEXT NOT NULL,
    verdict TEXT NOT NULL,
    -- The entry as the file sink writes it (decisionlog.AppendJSON).
    entry   TEXT NOT NULL
);
-- A unit's history; a period's attempts (flagged); retention.
CREATE INDEX decisions_by_unit ON decisions (unit, form, period, time_ns);
CREATE INDEX decisions_by_period ON decisions (period, form, unit, time_ns);
CREATE INDEX decisions_by_time ON decisions (time_ns);

-- +goose Down
DROP TABLE decisions;
DROP TABLE submissions;
