import GRDB

/// The database's tables (knowledge base, users and keys), one migration per change; never
/// edit a shipped one.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("1 knowledge") { db in
            try db.execute(
                sql: """
                    CREATE TABLE collections (
                      id INTEGER PRIMARY KEY,
                      name TEXT NOT NULL UNIQUE,
                      label TEXT,
                      embedding_model TEXT NOT NULL,
                      dimensions INTEGER NOT NULL,
                      created_at REAL NOT NULL
                    );
                    CREATE TABLE documents (
                      id INTEGER PRIMARY KEY,
                      collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
                      path TEXT NOT NULL,
                      content_hash TEXT NOT NULL,
                      bytes INTEGER NOT NULL,
                      version INTEGER NOT NULL,
                      metadata TEXT NOT NULL DEFAULT '{}',
                      file_id TEXT,
                      updated_at REAL NOT NULL,
                      UNIQUE (collection_id, path)
                    );
                    -- AUTOINCREMENT: chunk ids are never reused, so a vector index catches up by id.
                    CREATE TABLE chunks (
                      id INTEGER PRIMARY KEY AUTOINCREMENT,
                      document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                      collection_id INTEGER NOT NULL,
                      ordinal INTEGER NOT NULL,
                      text TEXT NOT NULL,
                      heading TEXT NOT NULL,
                      line_start INTEGER, line_end INTEGER, page_start INTEGER, page_end INTEGER,
                      vector BLOB NOT NULL,
                      UNIQUE (document_id, ordinal)
                    );
                    CREATE INDEX chunks_by_collection ON chunks(collection_id, id);
                    CREATE TABLE chunk_deletions (
                      seq INTEGER PRIMARY KEY AUTOINCREMENT,
                      collection_id INTEGER NOT NULL,
                      chunk_id INTEGER NOT NULL
                    );
                    CREATE INDEX chunk_deletions_by_collection ON chunk_deletions(collection_id, seq);
                    CREATE VIRTUAL TABLE chunks_fts USING fts5(
                      text, heading, content='chunks', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'
                    );
                    CREATE TRIGGER chunks_inserted AFTER INSERT ON chunks BEGIN
                      INSERT INTO chunks_fts(rowid, text, heading) VALUES (new.id, new.text, new.heading);
                    END;
                    CREATE TRIGGER chunks_deleted AFTER DELETE ON chunks BEGIN
                      INSERT INTO chunks_fts(chunks_fts, rowid, text, heading) VALUES ('delete', old.id, old.text, old.heading);
                      INSERT INTO chunk_deletions(collection_id, chunk_id) VALUES (old.collection_id, old.id);
                    END;
                    CREATE TABLE jobs (
                      id INTEGER PRIMARY KEY,
                      collection TEXT NOT NULL,
                      status TEXT NOT NULL,
                      body TEXT NOT NULL,
                      updated_at REAL NOT NULL
                    );
                    CREATE TABLE files (
                      id TEXT PRIMARY KEY,
                      filename TEXT NOT NULL,
                      purpose TEXT NOT NULL,
                      bytes INTEGER NOT NULL,
                      created_at REAL NOT NULL,
                      content BLOB NOT NULL
                    );
                    CREATE TABLE attachments (
                      collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
                      file_id TEXT NOT NULL,
                      status TEXT NOT NULL,
                      error TEXT,
                      bytes INTEGER NOT NULL,
                      attributes TEXT NOT NULL,
                      created_at REAL NOT NULL,
                      PRIMARY KEY (collection_id, file_id)
                    );
                    """)
        }
        migrator.registerMigration("2 file batches") { db in
            try db.execute(
                sql: """
                    CREATE TABLE file_batches (
                      id TEXT PRIMARY KEY,
                      collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
                      file_ids TEXT NOT NULL,
                      created_at REAL NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("3 identity") { db in
            try db.execute(
                sql: """
                    CREATE TABLE users (
                      id INTEGER PRIMARY KEY,
                      name TEXT NOT NULL UNIQUE,
                      role TEXT NOT NULL,
                      disabled INTEGER NOT NULL DEFAULT 0,
                      created_at REAL NOT NULL
                    );
                    -- Only a keyed hash of each key's secret is kept, never the key.
                    CREATE TABLE api_keys (
                      id TEXT PRIMARY KEY,
                      user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                      hash BLOB NOT NULL UNIQUE,
                      label TEXT NOT NULL,
                      prefix TEXT NOT NULL,
                      created_at REAL NOT NULL,
                      expires_at REAL,
                      revoked_at REAL,
                      models TEXT,
                      collections TEXT
                    );
                    CREATE INDEX api_keys_by_user ON api_keys(user_id, created_at);
                    """)
        }
        migrator.registerMigration("4 key limits") { db in
            try db.execute(
                sql: """
                    ALTER TABLE api_keys ADD COLUMN requests_per_minute INTEGER;
                    ALTER TABLE api_keys ADD COLUMN concurrent INTEGER;
                    """)
        }
        migrator.registerMigration("5 usage") { db in
            try db.execute(
                sql: """
                    CREATE TABLE usage (
                      id INTEGER PRIMARY KEY,
                      time REAL NOT NULL,
                      user_id INTEGER,
                      key_id TEXT,
                      model TEXT NOT NULL,
                      prompt_tokens INTEGER NOT NULL,
                      completion_tokens INTEGER NOT NULL,
                      milliseconds REAL NOT NULL,
                      status INTEGER NOT NULL
                    );
                    CREATE INDEX usage_by_time ON usage(time);
                    CREATE INDEX usage_by_user ON usage(user_id, time);
                    """)
        }
        migrator.registerMigration("6 audit") { db in
            try db.execute(
                sql: """
                    CREATE TABLE audit (
                      id INTEGER PRIMARY KEY,
                      time REAL NOT NULL,
                      actor TEXT NOT NULL,
                      action TEXT NOT NULL,
                      target TEXT NOT NULL,
                      address TEXT
                    );
                    CREATE INDEX audit_by_time ON audit(time);
                    """)
        }
        migrator.registerMigration("7 passwords and sessions") { db in
            try db.execute(
                sql: """
                    ALTER TABLE users ADD COLUMN password TEXT;
                    -- Sign-in sessions, kept as a keyed hash of their token, like keys.
                    CREATE TABLE sessions (
                      hash BLOB PRIMARY KEY,
                      user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                      expires_at REAL NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("8 owners, conversations and token limits") { db in
            try db.execute(
                sql: """
                    ALTER TABLE api_keys ADD COLUMN tokens_per_minute INTEGER;
                    ALTER TABLE api_keys ADD COLUMN tokens_per_day INTEGER;
                    ALTER TABLE api_keys ADD COLUMN tokens_per_month INTEGER;
                    ALTER TABLE users ADD COLUMN requests_per_minute INTEGER;
                    ALTER TABLE users ADD COLUMN concurrent INTEGER;
                    ALTER TABLE users ADD COLUMN tokens_per_minute INTEGER;
                    ALTER TABLE users ADD COLUMN tokens_per_day INTEGER;
                    ALTER TABLE users ADD COLUMN tokens_per_month INTEGER;
                    -- NULL: the administrators' (made by an operator key or an open server).
                    ALTER TABLE collections ADD COLUMN owner_id INTEGER;
                    ALTER TABLE files ADD COLUMN owner_id INTEGER;
                    CREATE INDEX files_by_owner ON files(owner_id, created_at);
                    -- user_id 0: every user.
                    CREATE TABLE collection_shares (
                      collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
                      user_id INTEGER NOT NULL,
                      PRIMARY KEY (collection_id, user_id)
                    );
                    CREATE TABLE conversations (
                      id TEXT PRIMARY KEY,
                      owner_id INTEGER,
                      title TEXT NOT NULL,
                      model TEXT,
                      created_at REAL NOT NULL,
                      updated_at REAL NOT NULL
                    );
                    CREATE INDEX conversations_by_owner ON conversations(owner_id, updated_at);
                    CREATE TABLE conversation_messages (
                      conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                      ordinal INTEGER NOT NULL,
                      role TEXT NOT NULL,
                      content TEXT NOT NULL,
                      created_at REAL NOT NULL,
                      PRIMARY KEY (conversation_id, ordinal)
                    );
                    """)
        }
        migrator.registerMigration("9 tool calls in conversations") { db in
            try db.execute(
                sql: """
                    -- A JSON array of {"id", "name", "arguments"}.
                    ALTER TABLE conversation_messages ADD COLUMN tool_calls TEXT;
                    ALTER TABLE conversation_messages ADD COLUMN tool_call_id TEXT;
                    ALTER TABLE conversation_messages ADD COLUMN name TEXT;
                    """)
        }
        migrator.registerMigration("10 responses") { db in
            try db.execute(
                sql: """
                    -- OpenAI Responses kept for previous_response_id: messages is a JSON array of
                    -- ChatMessage, body the response object, input_items a JSON array.
                    CREATE TABLE responses (
                      id TEXT PRIMARY KEY,
                      owner_id INTEGER,
                      model TEXT NOT NULL,
                      created_at REAL NOT NULL,
                      messages TEXT NOT NULL,
                      body TEXT NOT NULL,
                      input_items TEXT NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("11 sessions opened with a key") { db in
            // The keyed hash of the API key a session was opened with (the web UI's sign-in
            // by key): the session has the key's limits and ends with it.
            try db.execute(sql: "ALTER TABLE sessions ADD COLUMN key_hash BLOB")
        }
        return migrator
    }
}
