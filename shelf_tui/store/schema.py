"""The schema of shelf.db and its migrations, keyed by `PRAGMA user_version`.

Migration N takes a database at version N-1 to version N. Never edit a migration that has
shipped; add the next one. Times are INTEGER seconds since the epoch (UTC): compact, and they
sort and compare without parsing.

Sort columns are NOT NULL so that keyset paging can compare `(column, rowid)` row values
(a NULL would make the comparison unknown and lose rows).
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: shops, items, events (append-only), jobs, job_items, meta.
    """
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT
    );

    CREATE TABLE shops (
        name               TEXT PRIMARY KEY,
        platform           TEXT NOT NULL,
        site               TEXT NOT NULL DEFAULT '',
        region             TEXT NOT NULL DEFAULT '',
        gateway            TEXT NOT NULL DEFAULT '',
        oauth              TEXT NOT NULL DEFAULT '',
        redirect_uri       TEXT NOT NULL DEFAULT '',
        app_key            TEXT NOT NULL DEFAULT '',
        sign_method        TEXT NOT NULL DEFAULT 'md5',
        seller_id          TEXT NOT NULL DEFAULT '',
        seller_nick        TEXT NOT NULL DEFAULT '',
        scopes             TEXT NOT NULL DEFAULT '',
        token_expires_at   INTEGER,
        refresh_expires_at INTEGER,
        refresh_failing    TEXT NOT NULL DEFAULT '',
        rate               REAL,
        accent             TEXT NOT NULL DEFAULT '',
        last_sync_at       INTEGER,
        sync_cursor        TEXT NOT NULL DEFAULT '',
        created_at         INTEGER NOT NULL
    );

    CREATE TABLE items (
        shop           TEXT NOT NULL REFERENCES shops(name) ON DELETE CASCADE,
        item_id        TEXT NOT NULL,
        title          TEXT NOT NULL DEFAULT '',
        outer_id       TEXT NOT NULL DEFAULT '',
        status         TEXT NOT NULL,
        reason         TEXT NOT NULL DEFAULT '',
        stock          INTEGER NOT NULL DEFAULT 0,
        price          REAL NOT NULL DEFAULT 0,
        currency       TEXT NOT NULL DEFAULT '',
        raw_status     TEXT NOT NULL DEFAULT '',
        raw_sub_status TEXT NOT NULL DEFAULT '',
        sku_count      INTEGER NOT NULL DEFAULT 0,
        skus           TEXT,
        locked_until   INTEGER,
        lock_message   TEXT NOT NULL DEFAULT '',
        deadline       INTEGER,
        modified       INTEGER NOT NULL DEFAULT 0,
        listed_at      INTEGER,
        delisted_at    INTEGER,
        synced_at      INTEGER,
        url            TEXT NOT NULL DEFAULT '',
        extra          TEXT,
        UNIQUE (shop, item_id)
    );
    -- Indexes for the browser's filters. The sort indexes of the less common sort columns
    -- (title, price, stock, item id, reason) are created on first use (items.ensure_sort),
    -- because every index costs on each of a sync's writes. Text search (title, outer id,
    -- item id) is a scan: an FTS5 trigram index doubled the file and cut the upsert rate from
    -- ~100k to ~15k items/s, for a scan that costs ~0.2 s at a million rows.
    CREATE INDEX items_status_reason ON items(status, reason, modified);
    CREATE INDEX items_modified ON items(modified);
    CREATE INDEX items_stock0 ON items(shop) WHERE stock = 0;
    CREATE INDEX items_deadline ON items(deadline) WHERE deadline IS NOT NULL;
    CREATE INDEX items_locked ON items(locked_until) WHERE locked_until IS NOT NULL;

    -- The timeline: append-only. No foreign keys, so a removed shop's history stays.
    CREATE TABLE events (
        id         INTEGER PRIMARY KEY,
        at         INTEGER NOT NULL,
        shop       TEXT NOT NULL,
        item_id    TEXT NOT NULL DEFAULT '',
        actor      TEXT NOT NULL,
        action     TEXT NOT NULL,
        reason     TEXT NOT NULL DEFAULT '',
        job_id     INTEGER,
        outcome    TEXT NOT NULL DEFAULT '',
        code       TEXT NOT NULL DEFAULT '',
        message    TEXT NOT NULL DEFAULT '',
        request_id TEXT NOT NULL DEFAULT '',
        before     TEXT,
        after      TEXT,
        snapshot   TEXT
    );
    CREATE INDEX events_item ON events(shop, item_id, id);
    CREATE INDEX events_at ON events(at);
    CREATE INDEX events_job ON events(job_id) WHERE job_id IS NOT NULL;
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN
        SELECT RAISE(ABORT, 'events are append-only');
    END;
    -- Deleting is refused except for the shop named in meta 'purge_shop' (the seller asked
    -- to erase a removed shop's history, inside one transaction that sets and clears it).
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    WHEN old.shop IS NOT (SELECT value FROM meta WHERE key = 'purge_shop') BEGIN
        SELECT RAISE(ABORT, 'events are append-only');
    END;

    -- The journal. A job and all its items are written in one transaction before the first
    -- call; each item then moves queued -> sending -> ok/already/skipped/failed.
    CREATE TABLE jobs (
        id           INTEGER PRIMARY KEY,
        shop         TEXT NOT NULL,
        action       TEXT NOT NULL,
        reason       TEXT NOT NULL,
        actor        TEXT NOT NULL,
        source       TEXT NOT NULL DEFAULT 'user',
        parent_id    INTEGER REFERENCES jobs(id),
        state        TEXT NOT NULL,
        pause_reason TEXT NOT NULL DEFAULT '',
        resume_at    INTEGER,
        owner        TEXT NOT NULL DEFAULT '',
        heartbeat    INTEGER,
        created_at   INTEGER NOT NULL,
        started_at   INTEGER,
        finished_at  INTEGER,
        total        INTEGER NOT NULL,
        queued       INTEGER NOT NULL,
        sending      INTEGER NOT NULL DEFAULT 0,
        ok           INTEGER NOT NULL DEFAULT 0,
        already      INTEGER NOT NULL DEFAULT 0,
        skipped      INTEGER NOT NULL DEFAULT 0,
        failed       INTEGER NOT NULL DEFAULT 0,
        note         TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX jobs_state ON jobs(state);
    CREATE INDEX jobs_shop ON jobs(shop, id);

    CREATE TABLE job_items (
        job_id      INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        seq         INTEGER NOT NULL,
        shop        TEXT NOT NULL,
        item_id     TEXT NOT NULL,
        state       TEXT NOT NULL DEFAULT 'queued',
        attempts    INTEGER NOT NULL DEFAULT 0,
        prev_status TEXT NOT NULL DEFAULT '',
        prev_reason TEXT NOT NULL DEFAULT '',
        code        TEXT NOT NULL DEFAULT '',
        message     TEXT NOT NULL DEFAULT '',
        request_id  TEXT NOT NULL DEFAULT '',
        updated_at  INTEGER,
        PRIMARY KEY (job_id, item_id)
    ) WITHOUT ROWID;
    CREATE INDEX job_items_state ON job_items(job_id, state, seq);
    CREATE INDEX job_items_item ON job_items(shop, item_id);

    -- Keep the per-job counters in step with item states, in the same statement, so a
    -- crash can never leave them disagreeing with the rows.
    CREATE TRIGGER job_items_count AFTER UPDATE OF state ON job_items
    WHEN old.state IS NOT new.state BEGIN
        UPDATE jobs SET
            queued  = queued  - (old.state = 'queued')  + (new.state = 'queued'),
            sending = sending - (old.state = 'sending') + (new.state = 'sending'),
            ok      = ok      - (old.state = 'ok')      + (new.state = 'ok'),
            already = already - (old.state = 'already') + (new.state = 'already'),
            skipped = skipped - (old.state = 'skipped') + (new.state = 'skipped'),
            failed  = failed  - (old.state = 'failed')  + (new.state = 'failed')
        WHERE id = new.job_id;
    END;
    """,
    # 2: the job engine (issue 8).
    # - jobs.cancel_requested: `shelf jobs cancel ID` from another process asks the owner to
    #   stop; the owner's fenced mark_sending refuses to send once it is set.
    # - job_items.reason: a per-item reason (a CSV's reason column) overriding the job's.
    # - job_items.snapshot: the item as the store knew it when the job was journaled (delists
    #   only), the evidence seed 003 asks for, immune to a later sync rewriting the row.
    # - job_calls: every state-changing call and read-back of a job (the evidence trail of
    #   `shelf jobs ID --csv`): when, which attempt, what the platform answered.
    """
    ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE job_items ADD COLUMN reason TEXT NOT NULL DEFAULT '';
    ALTER TABLE job_items ADD COLUMN snapshot TEXT;

    CREATE TABLE job_calls (
        id         INTEGER PRIMARY KEY,
        job_id     INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        item_id    TEXT NOT NULL,
        at         REAL NOT NULL,
        attempt    INTEGER NOT NULL DEFAULT 0,
        call       TEXT NOT NULL,
        outcome    TEXT NOT NULL,
        code       TEXT NOT NULL DEFAULT '',
        message    TEXT NOT NULL DEFAULT '',
        request_id TEXT NOT NULL DEFAULT '',
        ms         INTEGER
    );
    CREATE INDEX job_calls_job ON job_calls(job_id, item_id, id);
    """,
    # 3: automation rules' memory between runs (shelf_tui/rules/state.py).
    # - rule_pending: grace timers. When a rule's condition was first seen holding for an item
    #   (stock 0 since 14:02); it acts once the condition has held for the rule's grace across
    #   syncs, and the row goes when the condition stops holding.
    # - rule_slots: schedule and campaign slots already fired per shop, so a run from cron every
    #   few minutes fires a daily rule exactly once.
    # - rule_runs: each rule's last run and last apply (the rules screen's "last run").
    """
    CREATE TABLE rule_pending (
        rule    TEXT NOT NULL,
        shop    TEXT NOT NULL,
        item_id TEXT NOT NULL,
        action  TEXT NOT NULL,
        since   INTEGER NOT NULL,
        PRIMARY KEY (rule, shop, item_id, action)
    ) WITHOUT ROWID;

    CREATE TABLE rule_slots (
        rule     TEXT NOT NULL,
        shop     TEXT NOT NULL,
        slot     TEXT NOT NULL,
        fired_at INTEGER NOT NULL,
        PRIMARY KEY (rule, shop, slot)
    ) WITHOUT ROWID;

    CREATE TABLE rule_runs (
        rule            TEXT PRIMARY KEY,
        last_run_at     INTEGER,
        last_applied_at INTEGER,
        last_sent       INTEGER NOT NULL DEFAULT 0,
        last_note       TEXT NOT NULL DEFAULT ''
    );
    """,
    # 4: "on sale with 0 stock" is the seller's first question; the stock = 0 partial index
    # now carries status and the default sort, so its count and first page are index-only
    # (1 s -> ~5 ms at 1M rows) for the price of indexing only the items at 0.
    """
    DROP INDEX items_stock0;
    CREATE INDEX items_stock0 ON items(status, modified) WHERE stock = 0;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
