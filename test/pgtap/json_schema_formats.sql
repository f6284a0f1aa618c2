-- json_schema_formats.sql: the draft-07 "format" keyword through
-- streamflow.validate(schema, instance): every format streamflow checks, with
-- strings it must accept and strings it must reject; non-strings and unknown
-- formats pass.
BEGIN;
SELECT plan(376);

-- One test per string: validate({"format": fmt}, string) is true.
CREATE FUNCTION pg_temp.format_accepts(fmt text, vals text[]) RETURNS SETOF text LANGUAGE plpgsql AS $f$
DECLARE
	v text;
BEGIN
	FOREACH v IN ARRAY vals LOOP
		RETURN NEXT ok(streamflow.validate(jsonb_build_object('format', fmt), to_jsonb(v)),
			format('%s accepts %s', fmt, to_jsonb(v)));
	END LOOP;
END
$f$;

-- One test per string: validate({"format": fmt}, string) is false.
CREATE FUNCTION pg_temp.format_rejects(fmt text, vals text[]) RETURNS SETOF text LANGUAGE plpgsql AS $f$
DECLARE
	v text;
BEGIN
	FOREACH v IN ARRAY vals LOOP
		RETURN NEXT ok(NOT streamflow.validate(jsonb_build_object('format', fmt), to_jsonb(v)),
			format('%s rejects %s', fmt, to_jsonb(v)));
	END LOOP;
END
$f$;

-------------------------------------------------------------------------------
-- date-time, date, time (RFC 3339)
-------------------------------------------------------------------------------
SELECT * FROM pg_temp.format_accepts('date-time', ARRAY[
	'1963-06-19T08:30:06.283185Z', '1963-06-19T08:30:06Z', '1937-01-01T12:00:27.87+00:20',
	'1990-12-31T15:59:50.123-08:00', '1963-06-19t08:30:06.283185z', '2020-02-29T00:00:00Z',
	'2000-02-29T12:00:00+05:30', '1998-12-31T23:59:60Z', '1998-12-31T15:59:60.123-08:00',
	'0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999999999+23:59', '2021-04-30T00:00:00-00:00']);
SELECT * FROM pg_temp.format_rejects('date-time', ARRAY[
	'2021-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '1990-02-31T15:59:59.123-08:00',
	'2021-04-31T00:00:00Z', '2021-13-01T00:00:00Z', '1963-06-19T24:00:00Z',
	'1990-12-31T15:59:59-24:00', '1963-06-19T08:30:06.28123+01:00Z', '06/19/1963 08:30:06 PST',
	'2013-350T01:01:01', '1963-6-19T08:30:06.283185Z', '1963-06-1T08:30:06.283185Z',
	'1963-06-19T08:30:06', '1963-06-19 08:30:06Z', '1963-06-19T08:30:06.Z',
	'1963-06-19T08:30:06+0100', '1998-12-31T23:58:60Z', '1963-06-1٩T08:30:06Z',
	'1963-06-19T08:30:06Z ', '']);

SELECT * FROM pg_temp.format_accepts('date', ARRAY[
	'1963-06-19', '2020-01-31', '2020-02-29', '2000-02-29', '2021-02-28', '2021-03-31',
	'2021-04-30', '2021-06-30', '2021-09-30', '2021-11-30', '2021-12-31', '0001-01-01']);
SELECT * FROM pg_temp.format_rejects('date', ARRAY[
	'2021-02-29', '1900-02-29', '2020-02-30', '2021-04-31', '2021-06-31', '2021-13-01',
	'2021-00-10', '2021-01-00', '2021-01-32', '06/19/1963', '2013-350', '1998-1-20',
	'1998-01-1', '1998-01-01T00:00:00Z', '19980-01-01', '1998/01/01', '1998-01-01 ', '']);

SELECT * FROM pg_temp.format_accepts('time', ARRAY[
	'08:30:06Z', '08:30:06.283185Z', '08:30:06+00:20', '08:30:06-08:00', '08:30:06z',
	'00:00:00+00:00', '23:59:59.999-23:59', '12:00:00.1Z', '23:59:60Z', '15:59:60-08:00',
	'01:29:60+01:30']);
SELECT * FROM pg_temp.format_rejects('time', ARRAY[
	'24:00:00Z', '24:00:00', '08:30:06', '08:60:00Z', '08:30:61Z', '22:59:60Z', '23:58:60Z',
	'23:59:60+01:00', '8:30:06Z', '08:30:06 Z', '08:30:06+24:00', '08:30:06+08:60',
	'08:30:06.Z', '08:30:06+0800', '08:30Z', '08:30:06PST', '01:02:03Z+01:00', '']);

-------------------------------------------------------------------------------
-- email (RFC 5321 mailbox)
-------------------------------------------------------------------------------
SELECT * FROM pg_temp.format_accepts('email', ARRAY[
	'joe.bloggs@example.com', 'te~st@example.com', '~test@example.com', 'test~@example.com',
	'te.s.t@example.com', 'o''reilly@example.com', 'user+tag@sub.example.co.uk', 'a@b',
	'x@localhost', '1234567890@example.com', '"joe bloggs"@example.com', '"a..b"@example.com',
	'"a\"b"@example.com', 'user@[127.0.0.1]', 'user@[IPv6:2001:db8::1]',
	repeat('a', 64) || '@example.com']);
SELECT * FROM pg_temp.format_rejects('email', ARRAY[
	'a..b@x.com', '.test@example.com', 'test.@example.com', '2962', 'joe@', '@example.com',
	'joe bloggs@example.com', 'joe@example..com', 'joe@-example.com', 'joe@example.com-',
	'joe@exa_mple.com', 'joe@@example.com', 'a@b@c.com', '"unterminated@example.com',
	'"a"b"@example.com', 'joe@[300.0.0.1]', 'joe@[IPv6:1:2:3]', 'jöe@example.com',
	repeat('a', 65) || '@example.com', '']);

-------------------------------------------------------------------------------
-- hostname (RFC 1123)
-------------------------------------------------------------------------------
SELECT * FROM pg_temp.format_accepts('hostname', ARRAY[
	'www.example.com', 'xn--4gbwdl.xn--wgbh1c', 'hostname', 'host-name', 'h0stn4me', '1host',
	'hostnam3', 'a', 'A.B-C.D', '123.com', 'a--b.example',
	repeat('a', 63) || '.com',
	repeat('a', 63) || '.' || repeat('b', 63) || '.' || repeat('c', 63) || '.' || repeat('d', 61)]);
SELECT * FROM pg_temp.format_rejects('hostname', ARRAY[
	'-a-host-name-that-starts-with--', 'not_a_valid_host_name', 'host-.com', 'a..b',
	'.example.com', 'example.com.', '.', '-', 'ex ample.com', 'exämple.com', 'a-.b',
	repeat('a', 64) || '.com', 'www.' || repeat('a', 64),
	repeat('a', 63) || '.' || repeat('b', 63) || '.' || repeat('c', 63) || '.' || repeat('d', 62),
	'']);

-------------------------------------------------------------------------------
-- ipv4, ipv6
-------------------------------------------------------------------------------
SELECT * FROM pg_temp.format_accepts('ipv4', ARRAY[
	'127.0.0.1', '0.0.0.0', '255.255.255.255', '192.168.1.1', '10.0.0.10', '1.2.3.4',
	'100.200.250.199', '8.8.8.8', '172.16.0.254', '0.10.100.255']);
SELECT * FROM pg_temp.format_rejects('ipv4', ARRAY[
	'1.2.3.04', '01.2.3.4', '256.256.256.256', '1.2.3.256', '1234.1.1.1', '127.0',
	'127.0.0.0.1', '0x7f000001', '2130706433', '1.2.3.', '.1.2.3', '1..2.3', '1.2.3.4 ',
	' 1.2.3.4', '192.168.1.1/24', '1.2.3.a', '١٢٧.0.0.1', '']);

SELECT * FROM pg_temp.format_accepts('ipv6', ARRAY[
	'::1', '::', '::ffff:1.2.3.4', '::abef', '1:2:3:4:5:6:7:8', '2001:db8::ff00:42:8329',
	'2001:DB8:0:0:8:800:200C:417A', 'fe80::1', '1::', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8',
	'0001:0002:0003:0004:0005:0006:0007:0008', '1:2:3:4:5:6:1.2.3.4', '::ffff:255.255.255.255']);
SELECT * FROM pg_temp.format_rejects('ipv6', ARRAY[
	'1:2:3:4:5:6:7:8:9', '12345::', '00001::', '::laptop', ':::', '1::2::3', ':1::2',
	'1:2:3:4:5:6:7', 'fe80::1%eth0', '::ffff:1.2.3.04', '::ffff:256.1.1.1', '1.2.3.4',
	'1:2:3:4:5:6:7:1.2.3.4', ' ::1', '::1 ', '[::1]', '1:2:3:4:5:6:7:8::', '']);

-------------------------------------------------------------------------------
-- uri, uri-reference (RFC 3986)
-------------------------------------------------------------------------------
SELECT * FROM pg_temp.format_accepts('uri', ARRAY[
	'http://foo.bar/?baz=qux#quux', 'http://foo.com/blah_(wikipedia)_blah#cite-1',
	'http://foo.bar/?q=Test%20URL-encoded%20stuff', 'http://xn--nw2a.xn--j6w193g/',
	'http://-.~_!$&''()*+,;=:%40:80%2f::::::@example.com', 'http://223.255.255.254',
	'ftp://ftp.is.co.za/rfc/rfc1808.txt', 'ldap://[2001:db8::7]/c=GB?objectClass?one',
	'mailto:John.Doe@example.com', 'news:comp.infosystems.www.servers.unix', 'tel:+1-816-555-1212',
	'urn:oasis:names:specification:docbook:dtd:xml:4.1.2', 'http://example.com:8080/a',
	'file:///etc/hosts', 'http://[v1.fe80::a+en1]/', 'HTTP://EXAMPLE.COM/', 'http:',
	'urn:uuid:ee564b8a-7a87-4125-8c96-e9f123d6766f']);
SELECT * FROM pg_temp.format_rejects('uri', ARRAY[
	'//foo', '//foo.bar/?baz=qux#quux', '/abc', 'abc', '#fragment', '\\WINDOWS\fileshare',
	'http:// shouldfail.com', ':// should fail', 'bar,baz:foo', '1http://example.com',
	'http://example.com/a b', 'http://example.com/%zz', 'http://example.com/%2',
	'http://ex[ample.com/', 'http://[::1/', 'http://[1:2:3]/', 'http://[fe80::1%25eth0]/',
	'http://example.com:80a/', 'http://example.com/#a#b', 'http://exämple.com/',
	'https://[@example.org/test.txt', 'http://user@host@example.com/', '']);

SELECT * FROM pg_temp.format_accepts('uri-reference', ARRAY[
	'//foo', 'http://foo.bar/?baz=qux#quux', '//foo.bar/?baz=qux#quux', '/abc', 'abc',
	'#fragment', '', '?query', '../a/b', './a:b', 'a/b:c', '#/definitions/x%20y',
	'g;x?y#s', '.', '//[::1]:80', 'foo#', 'a?b?c/d', 'urn:example:a']);
SELECT * FROM pg_temp.format_rejects('uri-reference', ARRAY[
	'\\WINDOWS\fileshare', '#frag\ment', 'a b', ':a', '1a:b', '#a#b', '%', '%4', 'abc%zz',
	'//foo bar', '//[::1', 'a|b', 'a"b', '<a>', 'a^b', 'a`b', 'a{b}', E'ab\n', 'é']);

-------------------------------------------------------------------------------
-- uuid
-------------------------------------------------------------------------------
SELECT * FROM pg_temp.format_accepts('uuid', ARRAY[
	'2eb8aa08-aa98-11ea-b4aa-73b441d16380', '2EB8AA08-AA98-11EA-B4AA-73B441D16380',
	'2eb8aa08-AA98-11ea-B4Aa-73B441D16380', '00000000-0000-0000-0000-000000000000',
	'ffffffff-ffff-ffff-ffff-ffffffffffff', '98d80576-482e-427f-8434-7f86890ab222',
	'99c17cbb-656f-564a-940f-1a4568f03487', '99c17cbb-656f-664a-940f-1a4568f03487',
	'99c17cbb-656f-f64a-940f-1a4568f03487', '01234567-89ab-cdef-0123-456789abcdef']);
SELECT * FROM pg_temp.format_rejects('uuid', ARRAY[
	'2eb8aa08-aa98-11ea-b4aa-73b441d1638', '2eb8aa08-aa98-11ea-73b441d16380',
	'2eb8aa08-aa98-11ea-b4ga-73b441d16380', '2eb8aa08aa9811eab4aa73b441d16380',
	'2eb8aa08aa98-11ea-b4aa-73b441d16380', '2eb8-aa08-aa98-11ea-b4aa73b41d16380',
	'{2eb8aa08-aa98-11ea-b4aa-73b441d16380}', '2eb8aa08-aa98-11ea-b4aa-73b441d16380 ',
	'urn:uuid:2eb8aa08-aa98-11ea-b4aa-73b441d16380', '2eb8aa08_aa98_11ea_b4aa_73b441d16380', '']);

-------------------------------------------------------------------------------
-- regex (PostgreSQL advanced regular expressions)
-------------------------------------------------------------------------------
SELECT * FROM pg_temp.format_accepts('regex', ARRAY[
	'([abc])+\s+$', '^[a-z]+$', 'a|b', '\d{3}-\d{4}', '(?:ab)+', 'x*', '', '.',
	'^(\([0-9]{3}\))?[0-9]{3}-[0-9]{4}$', '[[:alpha:]]+', '(?=a)a', 'a{2,3}', 'héllo']);
SELECT * FROM pg_temp.format_rejects('regex', ARRAY[
	'(', ')', '^(abc]', '[a-', 'a{2,1}', '*', '+a', 'a**', '\', '[z-a]', '(?<name>a)',
	'a{1', '[[:nope:]]']);

-------------------------------------------------------------------------------
-- json-pointer (RFC 6901)
-------------------------------------------------------------------------------
SELECT * FROM pg_temp.format_accepts('json-pointer', ARRAY[
	'', '/', '/foo', '/foo/0', '/a~1b', '/m~0n', '/c%d', '/e^f', '/g|h', '/i\j', '/k"l', '/ ',
	'//', '/foo/bar~0/baz~1/%a', '/~0~1', '/é']);
SELECT * FROM pg_temp.format_rejects('json-pointer', ARRAY[
	'/a~2b', '/foo/bar~', '#', '#/', '#a', 'foo', '0', 'a/a', '/~', '/~x', '~0', '/foo~/bar']);

-------------------------------------------------------------------------------
-- Non-strings and unknown formats pass
-------------------------------------------------------------------------------
SELECT ok(streamflow.validate('{"format": "ipv4"}', '12'), 'ipv4 ignores a number');
SELECT ok(streamflow.validate('{"format": "email"}', 'null'), 'email ignores null');
SELECT ok(streamflow.validate('{"format": "date-time"}', 'true'), 'date-time ignores a boolean');
SELECT ok(streamflow.validate('{"format": "uri"}', '{"a": "not a uri"}'), 'uri ignores an object');
SELECT ok(streamflow.validate('{"format": "regex"}', '["("]'), 'regex ignores an array');
SELECT ok(streamflow.validate('{"format": "no-such-format"}', '"anything at all"'), 'an unknown format passes any string');
SELECT ok(streamflow.validate('{"format": "IPV4"}', '"not an address"'), 'format names are case-sensitive: "IPV4" is unknown and passes');
SELECT ok(streamflow.validate('{"format": "ipv4 "}', '"not an address"'), 'a format name with a trailing space is unknown and passes');

SELECT * FROM finish();
ROLLBACK;
