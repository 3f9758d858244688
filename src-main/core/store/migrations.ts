// Numbered, append-only schema migrations: a database written by an older StompScope is brought up to date in
// place, and one written by a newer one is refused. `PRAGMA user_version` holds the number of migrations applied.
// Never edit a migration that has shipped: add a new one.
//
// Layout, chosen by the store benchmark (bench/store.ts): each direction's raw bytes are kept in large chunks
// in an append-only file per session beside the database (raw-files.ts); `chunks` says where each chunk of
// a stream is in that file, and `frames` is an index into the streams by byte offset. Bodies are never
// copied into rows, so a 64 KiB body costs one append, not a row of its own.
// Times are integers: microseconds since the Unix epoch. Directions are 0 = client, 1 = broker.

export const MIGRATIONS: readonly string[] = [
  /* 1 */ `
  CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    started INTEGER NOT NULL,
    ended INTEGER,
    state TEXT NOT NULL DEFAULT 'recording',
    meta TEXT NOT NULL DEFAULT '{}'
  );
  CREATE TABLE connections (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    client TEXT NOT NULL,
    broker TEXT NOT NULL,
    transport TEXT NOT NULL DEFAULT 'tcp',
    version TEXT,
    opened INTEGER NOT NULL,
    closed INTEGER,
    close_reason TEXT,
    frames_client INTEGER NOT NULL DEFAULT 0,
    frames_broker INTEGER NOT NULL DEFAULT 0,
    heartbeats_client INTEGER NOT NULL DEFAULT 0,
    heartbeats_broker INTEGER NOT NULL DEFAULT 0,
    bytes_client INTEGER NOT NULL DEFAULT 0,
    bytes_broker INTEGER NOT NULL DEFAULT 0,
    issues INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX connections_session ON connections(session_id, id);
  CREATE TABLE chunks (
    connection_id INTEGER NOT NULL,
    dir INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    length INTEGER NOT NULL,
    file_offset INTEGER NOT NULL,
    PRIMARY KEY (connection_id, dir, offset)
  ) WITHOUT ROWID;
  CREATE TABLE frames (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL,
    connection_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    dir INTEGER NOT NULL,
    time INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    length INTEGER NOT NULL,
    command TEXT NOT NULL,
    destination TEXT,
    headers TEXT NOT NULL,
    crlf INTEGER NOT NULL DEFAULT 0,
    body_offset INTEGER NOT NULL,
    body_length INTEGER NOT NULL,
    body_sha256 BLOB,
    issues INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX frames_session ON frames(session_id, id);
  CREATE INDEX frames_connection ON frames(connection_id, seq);
  CREATE INDEX frames_command ON frames(session_id, command, id);
  CREATE INDEX frames_destination ON frames(session_id, destination, id);
  CREATE TABLE heartbeats (
    connection_id INTEGER NOT NULL,
    dir INTEGER NOT NULL,
    time INTEGER NOT NULL,
    offset INTEGER NOT NULL
  );
  CREATE INDEX heartbeats_connection ON heartbeats(connection_id, dir, time);
  CREATE TABLE issues (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL,
    connection_id INTEGER,
    frame_id INTEGER,
    dir INTEGER,
    offset INTEGER,
    time INTEGER NOT NULL,
    code TEXT NOT NULL,
    severity TEXT NOT NULL,
    message TEXT NOT NULL
  );
  CREATE INDEX issues_frame ON issues(frame_id);
  CREATE INDEX issues_connection ON issues(connection_id, id);
  CREATE INDEX issues_session ON issues(session_id, code);
  `,
  /* 2 */ `
  -- Frames StompScope itself wrote into a live proxied connection (edit and resend, injected), not either peer.
  ALTER TABLE frames ADD COLUMN injected INTEGER NOT NULL DEFAULT 0;
  -- The transport's handshake as JSON (WebSocket upgrade request and response, SockJS); null for TCP and TLS.
  ALTER TABLE connections ADD COLUMN handshake TEXT;
  -- The broker profile: detected from CONNECTED's server header, or chosen by the user.
  ALTER TABLE connections ADD COLUMN profile TEXT;
  -- Correlation: links between frames (CONNECT -> CONNECTED, receipt -> RECEIPT, SUBSCRIBE -> MESSAGE,
  -- MESSAGE -> ACK, BEGIN -> COMMIT, SEND -> MESSAGE, ...), computed once when the frames are stored.
  -- latency is microseconds from the first frame to the second.
  CREATE TABLE links (
    session_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    from_frame INTEGER NOT NULL,
    to_frame INTEGER NOT NULL,
    latency INTEGER
  );
  CREATE INDEX links_from ON links(from_frame);
  CREATE INDEX links_to ON links(to_frame);
  CREATE INDEX links_session_kind ON links(session_id, kind);
  `,
  /* 3 */ `
  -- The negotiated state, computed once by the conversation stage when CONNECTED is seen (STOMP 1.2 §Protocol
  -- Negotiation, §Heart-beating), as JSON: {"version", "heartBeats": {"clientToBroker", "brokerToClient"} | null}.
  -- '{}' for a connection recorded with this column but no CONNECTED (nothing negotiated); NULL for a connection
  -- recorded before it existed: readers derive it from the stored CONNECT and CONNECTED then.
  ALTER TABLE connections ADD COLUMN negotiation TEXT;
  `,
  /* 4 */ `
  -- Numbers people read: frames 1..N and connections 1..k within their session, in the order they were stored
  -- (capture order), as Wireshark numbers a capture's frames. Ids stay the stable keys; they are global, so a
  -- session imported into a database that already holds other sessions would otherwise start at some 200000.
  -- Existing rows are numbered in id order, which is the order they were stored in.
  ALTER TABLE frames ADD COLUMN number INTEGER;
  ALTER TABLE connections ADD COLUMN number INTEGER;
  UPDATE frames SET number = x.n
    FROM (SELECT id, row_number() OVER (PARTITION BY session_id ORDER BY id) AS n FROM frames) AS x
    WHERE x.id = frames.id;
  UPDATE connections SET number = x.n
    FROM (SELECT id, row_number() OVER (PARTITION BY session_id ORDER BY id) AS n FROM connections) AS x
    WHERE x.id = connections.id;
  -- The filter's frame.number, "go to frame N", and the writer's next number of a session (dropped by migration 7).
  CREATE INDEX frames_number ON frames(session_id, number);
  CREATE INDEX connections_number ON connections(session_id, number);
  `,
  /* 5 */ `
  -- A TLS connection of a capture as JSON: {"version", "cipherSuite", "decrypted", "missing"?} (what the
  -- ServerHello chose, and whether a key log decrypted it); NULL for plain connections and proxy recordings.
  ALTER TABLE connections ADD COLUMN tls TEXT;
  `,
  /* 6 */ `
  -- What proxy rules did (stompscope proxy --rules, the UI's Rules panel): one row per frame a rule acted on or
  -- made up. rule and action name the rule and what it did; forwarded = 0 for a frame the other peer never got
  -- (dropped, answered instead, held and dropped); synthesized = 1 for a frame a rule made up (a reply, an
  -- injected frame); original holds the peer's bytes of a frame a rule rewrote (the stream holds what the other
  -- peer got). Frames without a row were forwarded as the peer sent them.
  CREATE TABLE frame_rules (
    frame_id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL,
    rule TEXT,
    action TEXT,
    forwarded INTEGER NOT NULL DEFAULT 1,
    synthesized INTEGER NOT NULL DEFAULT 0,
    original BLOB
  );
  CREATE INDEX frame_rules_session ON frame_rules(session_id, rule);
  `,
  /* 7 */ `
  -- Frame numbers grow with ids within a session (both follow the order frames are stored in), so the index on
  -- (session_id, id) finds a number too (by bisection: FramesQueries.idOfNumber), and the writer's last number of a
  -- session is its last frame's. The index on (session_id, number) cost every recorded frame a fifth B-tree insert
  -- (about a tenth of recording a small frame); a display filter on the frame number (no == N) now scans the
  -- session, as most filters do.
  DROP INDEX IF EXISTS frames_number;
  `,
];
