/// The database's tables, one migration per change, applied in order and recorded in
/// `hearth_migrations`; never edit a shipped one. The same tables as the SQLite store, with
/// PostgreSQL's types: times are seconds since 1970 (as there), metadata is `jsonb`, a
/// chunk's vector is pgvector's `vector` (each collection gets an HNSW index of its own
/// length when it is created) and its words a `tsvector` kept by the database.
enum PostgresSchema {
    struct Migration {
        var name: String
        var statements: [String]
    }

    static let migrations: [Migration] = [
        Migration(
            name: "knowledge, identity, conversations",
            statements: [
                "CREATE EXTENSION IF NOT EXISTS vector",
                """
                -- Each word of a tsvector with its frequency, an occurrence weighted B counting half.
                CREATE FUNCTION hearth_frequencies(tsvector) RETURNS jsonb LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
                AS $$ SELECT coalesce(jsonb_object_agg(u.lexeme,
                  (SELECT sum(CASE w WHEN 'B' THEN 0.5 ELSE 1.0 END) FROM unnest(u.weights) w)), '{}') FROM unnest($1) u $$
                """,
                """
                -- The words of a tsvector, each occurrence counted.
                CREATE FUNCTION hearth_word_count(tsvector) RETURNS integer LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
                AS 'SELECT coalesce(sum(cardinality(positions)), 0)::integer FROM unnest($1)'
                """,
                """
                CREATE TABLE collections (
                  id BIGSERIAL PRIMARY KEY,
                  name TEXT NOT NULL UNIQUE,
                  label TEXT,
                  embedding_model TEXT NOT NULL,
                  dimensions INTEGER NOT NULL,
                  created_at DOUBLE PRECISION NOT NULL,
                  -- NULL: the administrators' (made by an operator key or an open server).
                  owner_id BIGINT
                )
                """,
                """
                -- user_id 0: every user.
                CREATE TABLE collection_shares (
                  collection_id BIGINT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
                  user_id BIGINT NOT NULL,
                  PRIMARY KEY (collection_id, user_id)
                )
                """,
                """
                CREATE TABLE documents (
                  id BIGSERIAL PRIMARY KEY,
                  collection_id BIGINT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
                  path TEXT NOT NULL,
                  content_hash TEXT NOT NULL,
                  bytes BIGINT NOT NULL,
                  version BIGINT NOT NULL,
                  metadata JSONB NOT NULL DEFAULT '{}',
                  file_id TEXT,
                  updated_at DOUBLE PRECISION NOT NULL,
                  UNIQUE (collection_id, path)
                )
                """,
                """
                CREATE TABLE chunks (
                  id BIGSERIAL PRIMARY KEY,
                  document_id BIGINT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                  collection_id BIGINT NOT NULL,
                  ordinal INTEGER NOT NULL,
                  text TEXT NOT NULL,
                  heading TEXT NOT NULL,
                  line_start INTEGER, line_end INTEGER, page_start INTEGER, page_end INTEGER,
                  embedding vector NOT NULL,
                  -- Words of the text weigh A, of the heading B (half, as in the SQLite store's BM25).
                  words tsvector GENERATED ALWAYS AS (
                    setweight(to_tsvector('english', text), 'A') || setweight(to_tsvector('english', heading), 'B')) STORED,
                  -- How many words: BM25's length normalisation.
                  word_count INTEGER GENERATED ALWAYS AS (hearth_word_count(
                    setweight(to_tsvector('english', text), 'A') || setweight(to_tsvector('english', heading), 'B'))) STORED,
                  -- Each word's frequency (a heading's occurrence counts half), for BM25 without
                  -- unpacking the tsvector of every candidate.
                  frequencies JSONB GENERATED ALWAYS AS (hearth_frequencies(
                    setweight(to_tsvector('english', text), 'A') || setweight(to_tsvector('english', heading), 'B'))) STORED,
                  UNIQUE (document_id, ordinal)
                )
                """,
                "CREATE INDEX chunks_by_collection ON chunks (collection_id, id)",
                "CREATE INDEX chunks_words ON chunks USING gin (words)",
                """
                -- BM25's statistics, kept as chunks come and go (as FTS5 keeps its own): per
                -- collection, how many chunks hold each word, and under the empty word how
                -- many chunks there are and how many words they hold in all.
                CREATE TABLE chunk_terms (
                  collection_id BIGINT NOT NULL,
                  lexeme TEXT NOT NULL,
                  chunks BIGINT NOT NULL,
                  words BIGINT NOT NULL DEFAULT 0,
                  PRIMARY KEY (collection_id, lexeme)
                )
                """,
                """
                CREATE FUNCTION hearth_chunks_added() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  -- In word order, so that writers lock rows in one order.
                  INSERT INTO chunk_terms (collection_id, lexeme, chunks, words)
                  SELECT collection_id, lexeme, sum(chunks), sum(words) FROM (
                    SELECT a.collection_id, u.lexeme, 1 AS chunks, 0 AS words FROM added a, unnest(a.words) u
                    UNION ALL SELECT a.collection_id, '', 1, a.word_count FROM added a) t
                  GROUP BY collection_id, lexeme ORDER BY collection_id, lexeme
                  ON CONFLICT (collection_id, lexeme)
                  DO UPDATE SET chunks = chunk_terms.chunks + excluded.chunks, words = chunk_terms.words + excluded.words;
                  RETURN NULL;
                END $$
                """,
                """
                CREATE FUNCTION hearth_chunks_removed() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  UPDATE chunk_terms c SET chunks = c.chunks - t.chunks, words = c.words - t.words
                  FROM (
                    SELECT collection_id, lexeme, sum(chunks) AS chunks, sum(words) AS words FROM (
                      SELECT r.collection_id, u.lexeme, 1 AS chunks, 0 AS words FROM removed r, unnest(r.words) u
                      UNION ALL SELECT r.collection_id, '', 1, r.word_count FROM removed r) x
                    GROUP BY collection_id, lexeme) t
                  WHERE c.collection_id = t.collection_id AND c.lexeme = t.lexeme;
                  RETURN NULL;
                END $$
                """,
                """
                CREATE TRIGGER chunks_added AFTER INSERT ON chunks REFERENCING NEW TABLE AS added
                FOR EACH STATEMENT EXECUTE FUNCTION hearth_chunks_added()
                """,
                """
                CREATE TRIGGER chunks_removed AFTER DELETE ON chunks REFERENCING OLD TABLE AS removed
                FOR EACH STATEMENT EXECUTE FUNCTION hearth_chunks_removed()
                """,
                """
                CREATE TABLE jobs (
                  id BIGSERIAL PRIMARY KEY,
                  collection TEXT NOT NULL,
                  status TEXT NOT NULL,
                  body TEXT NOT NULL,
                  updated_at DOUBLE PRECISION NOT NULL
                )
                """,
                """
                CREATE TABLE files (
                  id TEXT PRIMARY KEY,
                  filename TEXT NOT NULL,
                  purpose TEXT NOT NULL,
                  bytes BIGINT NOT NULL,
                  created_at DOUBLE PRECISION NOT NULL,
                  content BYTEA NOT NULL,
                  owner_id BIGINT
                )
                """,
                "CREATE INDEX files_by_owner ON files (owner_id, created_at)",
                """
                CREATE TABLE attachments (
                  collection_id BIGINT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
                  file_id TEXT NOT NULL,
                  status TEXT NOT NULL,
                  error TEXT,
                  bytes BIGINT NOT NULL,
                  attributes JSONB NOT NULL,
                  created_at DOUBLE PRECISION NOT NULL,
                  PRIMARY KEY (collection_id, file_id)
                )
                """,
                """
                CREATE TABLE file_batches (
                  id TEXT PRIMARY KEY,
                  collection_id BIGINT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
                  file_ids JSONB NOT NULL,
                  created_at DOUBLE PRECISION NOT NULL
                )
                """,
                """
                CREATE TABLE users (
                  id BIGSERIAL PRIMARY KEY,
                  name TEXT NOT NULL UNIQUE,
                  role TEXT NOT NULL,
                  disabled BOOLEAN NOT NULL DEFAULT false,
                  created_at DOUBLE PRECISION NOT NULL,
                  password TEXT,
                  requests_per_minute BIGINT, concurrent BIGINT, tokens_per_minute BIGINT, tokens_per_day BIGINT,
                  tokens_per_month BIGINT
                )
                """,
                """
                -- Only a keyed hash of each key's secret is kept, never the key.
                CREATE TABLE api_keys (
                  id TEXT PRIMARY KEY,
                  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                  hash BYTEA NOT NULL UNIQUE,
                  label TEXT NOT NULL,
                  prefix TEXT NOT NULL,
                  created_at DOUBLE PRECISION NOT NULL,
                  expires_at DOUBLE PRECISION,
                  revoked_at DOUBLE PRECISION,
                  models TEXT,
                  collections TEXT,
                  requests_per_minute BIGINT, concurrent BIGINT, tokens_per_minute BIGINT, tokens_per_day BIGINT,
                  tokens_per_month BIGINT
                )
                """,
                "CREATE INDEX api_keys_by_user ON api_keys (user_id, created_at)",
                """
                -- Sign-in sessions, kept as a keyed hash of their token, like keys; key_hash: the
                -- API key a session was opened with (it has that key's limits and ends with it).
                CREATE TABLE sessions (
                  hash BYTEA PRIMARY KEY,
                  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                  expires_at DOUBLE PRECISION NOT NULL,
                  key_hash BYTEA
                )
                """,
                """
                CREATE TABLE usage (
                  id BIGSERIAL PRIMARY KEY,
                  time DOUBLE PRECISION NOT NULL,
                  user_id BIGINT,
                  key_id TEXT,
                  model TEXT NOT NULL,
                  prompt_tokens BIGINT NOT NULL,
                  completion_tokens BIGINT NOT NULL,
                  milliseconds DOUBLE PRECISION NOT NULL,
                  status INTEGER NOT NULL
                )
                """,
                "CREATE INDEX usage_by_time ON usage (time)",
                "CREATE INDEX usage_by_user ON usage (user_id, time)",
                """
                CREATE TABLE audit (
                  id BIGSERIAL PRIMARY KEY,
                  time DOUBLE PRECISION NOT NULL,
                  actor TEXT NOT NULL,
                  action TEXT NOT NULL,
                  target TEXT NOT NULL,
                  address TEXT
                )
                """,
                "CREATE INDEX audit_by_time ON audit (time)",
                """
                CREATE TABLE conversations (
                  id TEXT PRIMARY KEY,
                  owner_id BIGINT,
                  title TEXT NOT NULL,
                  model TEXT,
                  created_at DOUBLE PRECISION NOT NULL,
                  updated_at DOUBLE PRECISION NOT NULL
                )
                """,
                "CREATE INDEX conversations_by_owner ON conversations (owner_id, updated_at)",
                """
                -- tool_calls: a JSON array of {"id", "name", "arguments"}.
                CREATE TABLE conversation_messages (
                  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                  ordinal INTEGER NOT NULL,
                  role TEXT NOT NULL,
                  content TEXT NOT NULL,
                  created_at DOUBLE PRECISION NOT NULL,
                  tool_calls TEXT,
                  tool_call_id TEXT,
                  name TEXT,
                  PRIMARY KEY (conversation_id, ordinal)
                )
                """,
                """
                -- The key API keys and sessions are hashed with, made by the first replica to
                -- start: every replica must hash alike.
                CREATE TABLE server_secrets (
                  name TEXT PRIMARY KEY,
                  value BYTEA NOT NULL
                )
                """,
                """
                -- OpenAI Responses kept for previous_response_id: messages is a JSON array of
                -- ChatMessage, body the response object, input_items a JSON array.
                CREATE TABLE responses (
                  id TEXT PRIMARY KEY,
                  owner_id BIGINT,
                  model TEXT NOT NULL,
                  created_at DOUBLE PRECISION NOT NULL,
                  messages TEXT NOT NULL,
                  body TEXT NOT NULL,
                  input_items TEXT NOT NULL
                )
                """,
            ])
    ]
}
