
import test from 'ava';
import {checkCloud, type CheckLine} from '../../source/core/check.js';
import {openSession} from '../../source/openstack/session.js';
import {createFakeCloud, fixture} from '../helpers/fake-cloud.js';

function line(lines: CheckLine[], topic: string): CheckLine | undefined {
	return lines.find(item => item.topic === topic);
}

test('a healthy cloud: identity, endpoints, versions, backup service and key manager all reported', async t => {
	const cloud = await createFakeCloud(t, {roles: ['member', 'reader', 'creator']});
	cloud.route('GET', `/volume/v3/${cloud.projectId}/backups/detail`, {json: {backups: [fixture<{backup: Record<string, unknown>}>('cinder-backup.json').backup]}});
	cloud.route('GET', '/key-manager/v1/secrets', {json: {secrets: [], total: 0}});
	const session = await openSession(cloud.config);
	const now = new Date(Date.parse(session.identity.token().expiresAt) - (30 * 60_000));
	const lines = await checkCloud(session, {now: () => now});
	t.like(line(lines, 'identity'), {state: 'ok', text: `user demo in project demo (${cloud.projectId}) on cloud fake, region RegionOne`});
	t.like(line(lines, 'roles'), {state: 'info', text: 'member, reader, creator'});
	t.regex(line(lines, 'token')?.text ?? '', /\(in 30 min\)$/v);
	t.like(line(lines, 'Cinder (block-storage)'), {state: 'ok', text: `endpoint ${cloud.endpoints.cinder}`});
	t.like(line(lines, 'Cinder API'), {state: 'ok', text: 'microversions 3.0–3.70'});
	t.like(line(lines, 'Nova API'), {text: 'microversions 2.1–2.93'});
	t.like(line(lines, 'Barbican API'), {text: 'microversions 1.0–1.1'});
	t.like(line(lines, 'backup service'), {state: 'ok', text: 'GET /backups answers (backups exist)'});
	t.like(line(lines, 'key manager'), {state: 'ok'});
	t.regex(line(lines, 'key payloads')?.text ?? '', /^readable: probably yes \(creator role.*judged from roles, no payload was read$/v);
	t.like(line(lines, 'summary'), {state: 'ok', text: 'nothing missing'});
	t.is(line(lines, 'TLS'), undefined);
	t.true(lines.every(item => item.meaning.length > 0));
	// The probe asked for one backup only.
	t.deepEqual(cloud.server.calls('GET', `/volume/v3/${cloud.projectId}/backups/detail`).map(call => call.query.get('limit')), ['1']);
	t.deepEqual(cloud.server.problems, []);
});

test('no backup service, no Barbican, an old Cinder and a reader: each said with what it means', async t => {
	const cloud = await createFakeCloud(t, {without: ['barbican'], cinderMax: '3.40', roles: ['reader']});
	cloud.route('GET', `/volume/v3/${cloud.projectId}/backups/detail`, {
		status: 503, json: {serviceUnavailable: {code: 503, message: 'Service cinder-backup could not be found.'}},
	});
	const session = await openSession(cloud.config, {sleep: async () => undefined});
	const lines = await checkCloud(session);
	t.like(line(lines, 'backup service'), {state: 'fail', text: 'missing: 503 Service cinder-backup could not be found.'});
	t.like(line(lines, 'Barbican (key-manager)'), {state: 'warn', text: 'missing: no key-manager service in the catalog'});
	const cinderApi = line(lines, 'Cinder API');
	t.is(cinderApi?.state, 'warn');
	t.regex(cinderApi?.meaning ?? '', /< 3\.64.*< 3\.47.*< 3\.43/v);
	t.regex(line(lines, 'roles')?.meaning ?? '', /without member/v);
	t.is(line(lines, 'key payloads'), undefined);
	t.like(line(lines, 'summary'), {state: 'fail', text: 'missing: Barbican (key-manager), volume backup service'});
});

test('Barbican that forbids listing, a member role, and TLS verification off', async t => {
	const cloud = await createFakeCloud(t, {roles: ['member']});
	cloud.route('GET', `/volume/v3/${cloud.projectId}/backups/detail`, {json: {backups: []}});
	const description = 'Secret(s) retrieval attempt not allowed - please review your user/project privileges';
	cloud.route('GET', '/key-manager/v1/secrets', {status: 403, json: {code: 403, title: 'Forbidden', description}});
	const session = await openSession({...cloud.config});
	const lines = await checkCloud({...session, insecure: true});
	t.like(lines[0], {state: 'warn', topic: 'TLS', text: 'certificate verification is OFF (verify: false / insecure)'});
	t.like(line(lines, 'key manager'), {state: 'warn'});
	t.regex(line(lines, 'key manager')?.text ?? '', /^forbidden: 403 Secret\(s\) retrieval attempt not allowed/v);
	t.like(line(lines, 'backup service'), {state: 'ok', text: 'GET /backups answers (no backups yet)'});
});

test('payload inference from member alone says it depends on the policy', async t => {
	const cloud = await createFakeCloud(t, {roles: ['member', 'reader']});
	cloud.route('GET', `/volume/v3/${cloud.projectId}/backups/detail`, {json: {backups: []}});
	cloud.route('GET', '/key-manager/v1/secrets', {json: {secrets: [], total: 0}});
	const session = await openSession(cloud.config);
	const lines = await checkCloud(session);
	t.like(line(lines, 'key payloads'), {state: 'warn'});
	t.regex(line(lines, 'key payloads')?.text ?? '', /maybe \(member role.*legacy policy, which needs creator\)/v);
});
