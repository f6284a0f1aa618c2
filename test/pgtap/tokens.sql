-- tokens.sql: API tokens (sql section "Tokens", src/auth.c): secrets shown
-- once and stored hashed, streams and scopes, bad input, revocation, the
-- decision check_token() shares with the worker, and who may do what.
BEGIN;
SELECT plan(65);
\ir helpers.psql

SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "tok one", "id": "stream_tok1"}'::jsonb)$$, 'a first stream');
SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "tok two", "id": "stream_tok2"}'::jsonb)$$, 'a second stream');

-- secrets are kept for the checks below, never by streamflow
CREATE TEMP TABLE secrets (name text PRIMARY KEY, secret text);
INSERT INTO secrets SELECT 'reader', streamflow.create_token('reader', '{tok one}');
INSERT INTO secrets SELECT 'writer', streamflow.create_token('writer', '{stream_tok1, tok one, stream_tok2}', '{write, write}');
INSERT INTO secrets SELECT 'all', streamflow.create_token('  all  ', NULL, '{read,write}');

-------------------------------------------------------------------------------
-- What is stored and shown
-------------------------------------------------------------------------------
SELECT ok((SELECT bool_and(secret ~ '^sf_[0-9a-f]{64}$') FROM secrets), 'secrets are sf_ and 64 hex digits (32 random bytes)');
SELECT is((SELECT count(DISTINCT secret)::int FROM secrets), 3, 'every secret differs');
SELECT is((SELECT count(*)::int FROM streamflow.tokens t JOIN secrets s USING (name)
           WHERE t.token_hash = sha256(convert_to(s.secret, 'UTF8'))), 3, 'each token row holds the SHA-256 of its secret');
SELECT is_empty($$SELECT 1 FROM streamflow.tokens t, secrets s
                  WHERE position(s.secret IN t::text) > 0 OR position(substr(s.secret, 4) IN t::text) > 0$$,
	'no token row contains a secret');
SELECT columns_are('streamflow', 'token_list',
	ARRAY['name', 'streams', 'scopes', 'created_at', 'last_used_at', 'revoked_at', 'active'],
	'token_list shows no hash');
SELECT is((SELECT streams FROM streamflow.token_list WHERE name = 'reader'), '{stream_tok1}'::text[], 'a stream given by name is stored as its id');
SELECT is((SELECT streams FROM streamflow.token_list WHERE name = 'writer'), '{stream_tok1,stream_tok2}'::text[], 'streams are stored once each, sorted');
SELECT is((SELECT streams FROM streamflow.token_list WHERE name = 'all'), NULL::text[], 'NULL streams: every stream');
SELECT is((SELECT scopes FROM streamflow.token_list WHERE name = 'reader'), '{read}'::text[], 'the default scope is read');
SELECT is((SELECT scopes FROM streamflow.token_list WHERE name = 'writer'), '{write}'::text[], 'scopes are stored once each');
SELECT ok(EXISTS (SELECT 1 FROM streamflow.token_list WHERE name = 'all' AND active), 'the name is trimmed; a new token is active');

-------------------------------------------------------------------------------
-- Bad input
-------------------------------------------------------------------------------
SELECT throws_ok($$SELECT streamflow.create_token('')$$, '22023', 'a token needs a name', 'an empty name: 22023');
SELECT throws_ok($$SELECT streamflow.create_token('   ')$$, '22023', 'a token needs a name', 'a blank name: 22023');
SELECT throws_ok($$SELECT streamflow.create_token(NULL)$$, '22023', 'a token needs a name', 'a NULL name: 22023');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.create_token('')$$), 'The name given is empty or NULL.', 'the empty name error has a detail');
SELECT throws_ok($$SELECT streamflow.create_token('x', NULL, '{read,admin}')$$, '22023', 'unknown token scope "admin"', 'an unknown scope: 22023');
SELECT is(pg_temp.sf_hint($$SELECT streamflow.create_token('x', NULL, '{admin}')$$), 'Valid scopes are read and write.', 'the unknown scope error lists the valid ones');
SELECT throws_ok($$SELECT streamflow.create_token('x', NULL, '{}')$$, '22023', 'token "x" needs at least one scope', 'no scope: 22023');
SELECT throws_ok($$SELECT streamflow.create_token('x', NULL, NULL)$$, '22023', 'token "x" needs at least one scope', 'NULL scopes: 22023');
SELECT throws_ok($$SELECT streamflow.create_token('x', NULL, '{read,NULL}')$$, '22023', 'unknown token scope "NULL"', 'a NULL scope: 22023');
SELECT throws_ok($$SELECT streamflow.create_token('x', '{}')$$, '22023', 'token "x" names no stream', 'an empty stream list: 22023');
SELECT is(pg_temp.sf_hint($$SELECT streamflow.create_token('x', '{}')$$), 'Pass NULL (the default) for a token valid on every stream.', 'the empty list error says how to mean every stream');
SELECT throws_ok($$SELECT streamflow.create_token('x', '{tok one, NULL}')$$, '22023', 'token "x" names a NULL stream', 'a NULL stream: 22023');
SELECT throws_ok($$SELECT streamflow.create_token('x', '{tok one, no such stream}')$$, '42704', 'stream "no such stream" does not exist', 'an unknown stream: 42704');
SELECT throws_ok($$SELECT streamflow.create_token('reader')$$, '42710', 'token "reader" already exists', 'a duplicate name: 42710');
SELECT throws_ok($$SELECT streamflow.create_token(' reader ')$$, '42710', 'token "reader" already exists', 'a duplicate name after trimming: 42710');
SELECT is(pg_temp.sf_hint($$SELECT streamflow.create_token('reader')$$), 'Revoke it first with streamflow.revoke_token(), or choose another name.', 'the duplicate error says what to do');
SELECT is((SELECT count(*)::int FROM streamflow.tokens WHERE name IN ('x', 'reader')), 1, 'failed calls created no token');

-------------------------------------------------------------------------------
-- check_token: the worker's decision
-------------------------------------------------------------------------------
SELECT is(streamflow.check_token((SELECT secret FROM secrets WHERE name = 'reader'), 'stream_tok1', 'read'), 'ok', 'reader reads its stream by id');
SELECT is(streamflow.check_token((SELECT secret FROM secrets WHERE name = 'reader'), 'tok one'), 'ok', 'reader reads its stream by name (read is the default scope)');
SELECT is(streamflow.check_token((SELECT secret FROM secrets WHERE name = 'reader'), 'tok two', 'read'), 'forbidden', 'reader may not read another stream');
SELECT is(streamflow.check_token((SELECT secret FROM secrets WHERE name = 'reader'), 'tok one', 'write'), 'forbidden', 'reader may not write');
SELECT is(streamflow.check_token((SELECT secret FROM secrets WHERE name = 'reader'), 'no such stream', 'read'), 'forbidden', 'a scoped token on an unknown stream: forbidden (existence not revealed)');
SELECT is(streamflow.check_token((SELECT secret FROM secrets WHERE name = 'writer'), 'tok two', 'write'), 'ok', 'writer writes its streams');
SELECT is(streamflow.check_token((SELECT secret FROM secrets WHERE name = 'writer'), 'tok two', 'read'), 'forbidden', 'write does not imply read');
SELECT is(streamflow.check_token((SELECT secret FROM secrets WHERE name = 'all'), 'tok two', 'write'), 'ok', 'an every-stream token writes any stream');
SELECT is(streamflow.check_token((SELECT secret FROM secrets WHERE name = 'reader'), NULL, 'read'), 'ok', 'stream NULL checks token and scope only');
SELECT is(streamflow.check_token((SELECT secret FROM secrets WHERE name = 'reader'), NULL, 'write'), 'forbidden', 'stream NULL still checks the scope');
SELECT is(streamflow.check_token(NULL, 'tok one'), 'missing token', 'no token: missing');
SELECT is(streamflow.check_token('', 'tok one'), 'missing token', 'an empty token: missing');
SELECT is(streamflow.check_token('sf_' || repeat('0', 64), 'tok one'), 'invalid token', 'an unknown token: invalid');
SELECT is(streamflow.check_token(upper((SELECT secret FROM secrets WHERE name = 'reader')), 'tok one'), 'invalid token', 'secrets are case-sensitive');
SELECT is(streamflow.check_token((SELECT secret FROM secrets WHERE name = 'reader') || 'x', 'tok one'), 'invalid token', 'a secret with a byte more: invalid');
SELECT is(streamflow.check_token(repeat('a', 100000), 'tok one'), 'invalid token', 'a huge token: invalid');
SELECT throws_ok($$SELECT streamflow.check_token('x', 'tok one', 'admin')$$, '22023', 'unknown token scope "admin"', 'check_token with an unknown scope: 22023');
SELECT ok((SELECT last_used_at IS NOT NULL FROM streamflow.token_list WHERE name = 'reader'), 'an accepted token records last_used_at');
SELECT is(current_setting('streamflow.auth'), 'token', 'streamflow.auth defaults to token');
SELECT results_eq($$SELECT context, enumvals FROM pg_settings WHERE name = 'streamflow.auth'$$,
	$$VALUES ('sighup'::text, '{token,none}'::text[])$$, 'streamflow.auth is an enum set at reload');

-------------------------------------------------------------------------------
-- Revocation and dropped streams
-------------------------------------------------------------------------------
SELECT ok(streamflow.revoke_token('reader'), 'revoke_token returns true');
SELECT is(streamflow.check_token((SELECT secret FROM secrets WHERE name = 'reader'), 'tok one'), 'invalid token', 'a revoked token is invalid');
SELECT ok((SELECT NOT active AND revoked_at IS NOT NULL FROM streamflow.token_list WHERE name = 'reader'), 'a revoked token stays listed, inactive');
SELECT throws_ok($$SELECT streamflow.revoke_token('reader')$$, '42704', 'token "reader" does not exist', 'revoking twice: 42704');
SELECT ok(streamflow.create_token('reader') ~ '^sf_', 'a revoked name can be given to a new token');
SELECT lives_ok($$SELECT streamflow.drop_stream('tok one')$$, 'dropping a stream');
SELECT is((SELECT streams FROM streamflow.token_list WHERE name = 'writer'), '{stream_tok2}'::text[], 'a dropped stream leaves every token');
SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "tok one again", "id": "stream_tok1"}'::jsonb)$$, 'a new stream with the dropped id');
SELECT is(streamflow.check_token((SELECT secret FROM secrets WHERE name = 'writer'), 'stream_tok1', 'write'), 'forbidden', 'tokens of the dropped stream do not open its successor');

-------------------------------------------------------------------------------
-- Privileges
-------------------------------------------------------------------------------
CREATE ROLE sf_tok_admin;
CREATE ROLE sf_tok_writer;
GRANT streamflow_admin TO sf_tok_admin;
GRANT streamflow_writer TO sf_tok_writer;
GRANT ALL ON ALL TABLES IN SCHEMA pg_temp TO PUBLIC;
GRANT ALL ON ALL SEQUENCES IN SCHEMA pg_temp TO PUBLIC;
SET LOCAL ROLE sf_tok_writer;
SELECT throws_ok($$SELECT streamflow.create_token('by writer')$$, '42501', NULL, 'a writer cannot create tokens');
SELECT throws_ok($$SELECT streamflow.revoke_token('writer')$$, '42501', NULL, 'a writer cannot revoke tokens');
SELECT throws_ok($$SELECT * FROM streamflow.token_list$$, '42501', NULL, 'a writer cannot list tokens');
RESET ROLE;
SET LOCAL ROLE sf_tok_admin;
SELECT ok(streamflow.create_token('by admin', '{tok two}', '{read}') ~ '^sf_', 'an admin creates tokens');
SELECT ok(streamflow.revoke_token('by admin'), 'an admin revokes tokens');
SELECT throws_ok($$SELECT token_hash FROM streamflow.tokens$$, '42501', 'permission denied for table tokens', 'not even an admin reads the hashes');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
