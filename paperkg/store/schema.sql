-- paperkg store of record. Everything else (graph, RDF, indexes) is derived from these tables.
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS papers (
    id           TEXT PRIMARY KEY,
    norm_title   TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    abstract     TEXT NOT NULL,
    year         INTEGER,
    url          TEXT,
    authors      TEXT NOT NULL DEFAULT '[]',
    content_hash TEXT NOT NULL,
    rev          INTEGER NOT NULL,          -- data version of the last write to this paper
    origin       TEXT NOT NULL DEFAULT '',
    added_at     TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS papers_added ON papers(added_at, id);  -- the browse list, paged
CREATE TABLE IF NOT EXISTS entities (
    id    TEXT PRIMARY KEY,                 -- stable: "<type>/<canonical slug>"
    type  TEXT NOT NULL,
    name  TEXT NOT NULL,
    attrs TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS entities_type ON entities(type);
CREATE TABLE IF NOT EXISTS aliases (
    entity_id TEXT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    alias     TEXT NOT NULL,
    norm      TEXT NOT NULL,
    paper_id  TEXT REFERENCES papers(id) ON DELETE CASCADE   -- NULL: from the vocabulary
);
CREATE UNIQUE INDEX IF NOT EXISTS aliases_unique ON aliases(entity_id, alias, IFNULL(paper_id, ''));
CREATE INDEX IF NOT EXISTS aliases_norm ON aliases(norm);
CREATE INDEX IF NOT EXISTS aliases_paper ON aliases(paper_id);  -- per-paper deletes and cascades
CREATE TABLE IF NOT EXISTS mentions (
    paper_id  TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    entity_id TEXT NOT NULL REFERENCES entities(id),
    field     TEXT NOT NULL,
    start     INTEGER NOT NULL,
    end       INTEGER NOT NULL,
    surface   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS mentions_paper ON mentions(paper_id);
DROP INDEX IF EXISTS mentions_entity;  -- replaced by the covering index below
CREATE INDEX IF NOT EXISTS mentions_entity_paper ON mentions(entity_id, paper_id);  -- an entity's papers, paged
CREATE TABLE IF NOT EXISTS relations (
    id         INTEGER PRIMARY KEY,
    paper_id   TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    subject    TEXT NOT NULL,               -- "PAPER" or an entity id
    predicate  TEXT NOT NULL,
    object     TEXT NOT NULL REFERENCES entities(id),
    factor     REAL,
    count      INTEGER,
    metric     TEXT,
    hardware   TEXT REFERENCES entities(id),
    confidence REAL NOT NULL,
    sentence   TEXT NOT NULL,
    field      TEXT NOT NULL,
    start      INTEGER NOT NULL,
    end        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS relations_paper ON relations(paper_id);
CREATE INDEX IF NOT EXISTS relations_object ON relations(object);
CREATE INDEX IF NOT EXISTS relations_subject ON relations(subject);  -- an entity's page
CREATE INDEX IF NOT EXISTS relations_hardware ON relations(hardware);  -- orphan checks and foreign keys
CREATE TABLE IF NOT EXISTS passages (
    paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    ord      INTEGER NOT NULL,
    start    INTEGER NOT NULL,              -- offsets in the abstract
    end      INTEGER NOT NULL,
    vector   BLOB NOT NULL,                 -- float32, L2-normalised
    PRIMARY KEY (paper_id, ord)
);
-- Schema version 2: every id a paper is known by, and its bibliographic metadata beyond the papers table.
CREATE TABLE IF NOT EXISTS paper_ids (
    kind     TEXT NOT NULL,                 -- doi, arxiv, openalex, s2, own, key, mag, dblp, corpusid, ...
    value    TEXT NOT NULL,                 -- normalised (paperkg.core.identifiers)
    paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    PRIMARY KEY (kind, value)
);
CREATE INDEX IF NOT EXISTS paper_ids_paper ON paper_ids(paper_id);
CREATE INDEX IF NOT EXISTS paper_ids_value ON paper_ids(value);
-- Schema version 3: the last record (record_digest) of each source (record_source) a paper was written from, so
-- that a record a later record of another source overwrote is not applied again when an ingest is re-run.
CREATE TABLE IF NOT EXISTS paper_records (
    paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    source   TEXT NOT NULL,
    digest   TEXT NOT NULL,
    PRIMARY KEY (paper_id, source)
) WITHOUT ROWID;
-- Schema version 4: every record (record_digest) of each source a paper was written from. On a store upgraded from
-- an older schema it tells the records written since apart from those an older release folded in unrecorded.
CREATE TABLE IF NOT EXISTS applied_records (
    paper_id TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    source   TEXT NOT NULL,
    digest   TEXT NOT NULL,
    PRIMARY KEY (source, digest, paper_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS applied_records_paper ON applied_records(paper_id);
CREATE TABLE IF NOT EXISTS paper_meta (
    paper_id   TEXT PRIMARY KEY REFERENCES papers(id) ON DELETE CASCADE,
    venue      TEXT,
    categories TEXT NOT NULL DEFAULT '[]',
    doi        TEXT
);
