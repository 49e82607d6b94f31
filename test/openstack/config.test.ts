/* eslint-disable @typescript-eslint/naming-convention -- fixtures and request bodies are OpenStack's snake_case JSON. */
import {
	mkdir,
	mkdtemp,
	rm,
	writeFile,
} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import test from 'ava';
import {listConfiguredClouds, loadCloudConfig, redactConfig} from '../../source/openstack/config.js';
import {ConfigError} from '../../source/openstack/errors.js';

type Layout = Record<string, string>;

/**
A temp tree with `cwd/`, `home/` and `etc/` and the given files; returns the location options for it.
*/
async function tree(t: {teardown(fn: () => unknown): void}, files: Layout, env: Record<string, string> = {}) {
	const root = await mkdtemp(path.join(tmpdir(), 'backstack-config-'));
	t.teardown(async () => rm(root, {recursive: true, force: true}));
	for (const [relative, content] of Object.entries(files)) {
		const file = path.join(root, relative);
		// eslint-disable-next-line no-await-in-loop
		await mkdir(path.dirname(file), {recursive: true});
		// eslint-disable-next-line no-await-in-loop
		await writeFile(file, content);
	}

	await mkdir(path.join(root, 'cwd'), {recursive: true});
	await mkdir(path.join(root, 'home'), {recursive: true});
	return {
		root,
		location: {
			cwd: path.join(root, 'cwd'), home: path.join(root, 'home'), env, systemDirs: [path.join(root, 'etc/openstack')],
		},
	};
}

const twoClouds = `
clouds:
  alpha:
    auth:
      auth_url: https://keystone.alpha.example:5000/v3
      username: anna
      password: alpha-pw
      project_name: proj-a
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionA
  beta:
    auth_type: v3applicationcredential
    auth:
      auth_url: https://keystone.beta.example:5000
      application_credential_id: ac-beta
      application_credential_secret: beta-secret
    region_name: RegionB
    interface: internal
`;

test('the first clouds file found wins: cwd before ~/.config/openstack before /etc/openstack, never merged', async t => {
	const {location, root} = await tree(t, {
		'cwd/clouds.yaml': 'clouds:\n  here:\n    auth: {auth_url: "http://cwd:5000/v3", username: u, password: p, project_name: x}\n',
		'home/.config/openstack/clouds.yaml': twoClouds,
		'etc/openstack/clouds.yaml': twoClouds,
	});
	const config = await loadCloudConfig(location);
	t.is(config.cloudName, 'here');
	t.is(config.source, path.join(root, 'cwd/clouds.yaml'));
	await t.throwsAsync(loadCloudConfig({...location, cloud: 'alpha'}), {
		instanceOf: ConfigError,
		message: `cloud 'alpha' not found in ${path.join(root, 'cwd/clouds.yaml')}; known clouds: here.`,
	});
});

test('clouds.yaml, then clouds.yml, then clouds.json in one directory; OS_CLIENT_CONFIG_FILE comes first', async t => {
	const json = JSON.stringify({
		clouds: {
			fromjson: {
				auth: {
					auth_url: 'http://j:5000', username: 'u', password: 'p', project_id: 'pj',
				},
			},
		},
	});
	const {location, root} = await tree(t, {
		'home/.config/openstack/clouds.yml': 'clouds:\n  fromyml:\n    auth: {auth_url: "http://y:5000", username: u, password: p, project_id: py}\n',
		'home/.config/openstack/clouds.json': json,
		'elsewhere/mine.json': json,
	});
	t.like(await loadCloudConfig(location), {cloudName: 'fromyml'});
	const viaVariable = await loadCloudConfig({...location, env: {OS_CLIENT_CONFIG_FILE: path.join(root, 'elsewhere/mine.json')}});
	t.is(viaVariable.cloudName, 'fromjson');
	t.is(viaVariable.auth.projectId, 'pj');
});

test('secure.yaml is deep-merged over clouds.yaml', async t => {
	const {location, root} = await tree(t, {
		'home/.config/openstack/clouds.yaml': 'clouds:\n  c:\n    auth:\n      auth_url: https://k:5000/v3\n      username: u\n      project_name: p\n    region_name: R1\n',
		'etc/openstack/secure.yaml': 'clouds:\n  c:\n    auth:\n      password: from-secure\n',
	});
	const config = await loadCloudConfig(location);
	t.is(config.auth.password, 'from-secure');
	t.is(config.auth.username, 'u');
	t.is(config.regionName, 'R1');
	t.is(config.secureFile, path.join(root, 'etc/openstack/secure.yaml'));
});

test('OS_CLOUD chooses; the cloud option beats it; several clouds and no choice is an error', async t => {
	const {location, root} = await tree(t, {'cwd/clouds.yaml': twoClouds});
	t.like(await loadCloudConfig({...location, env: {OS_CLOUD: 'beta'}}), {cloudName: 'beta'});
	t.like(await loadCloudConfig({...location, env: {OS_CLOUD: 'beta'}, cloud: 'alpha'}), {cloudName: 'alpha'});
	await t.throwsAsync(loadCloudConfig(location), {
		message: `${path.join(root, 'cwd/clouds.yaml')} defines several clouds (alpha, beta); choose one with --os-cloud NAME or OS_CLOUD=NAME.`,
	});
});

test('a named cloud: auth and region OS_* variables override its values, as in the openstack CLI', async t => {
	const {location} = await tree(t, {'cwd/clouds.yaml': twoClouds}, {
		OS_CLOUD: 'alpha', OS_PASSWORD: 'from-env', OS_REGION_NAME: 'RegionA', OS_PROJECT_NAME: 'proj-env', OS_INTERFACE: 'internal',
	});
	const config = await loadCloudConfig(location);
	t.is(config.auth.password, 'from-env');
	t.is(config.auth.projectName, 'proj-env');
	t.is(config.auth.username, 'anna');
	t.is(config.regionName, 'RegionA');
	t.is(config.interface, 'internal');
	t.deepEqual(config.environmentVariables, ['OS_INTERFACE', 'OS_PASSWORD', 'OS_PROJECT_NAME', 'OS_REGION_NAME']);
});

test('only OS_* variables: the envvars cloud (renamed by OS_CLOUD_NAME), openrc style', async t => {
	const env = {
		OS_AUTH_URL: 'https://k.example:5000/v3',
		OS_USERNAME: 'demo',
		OS_PASSWORD: 'pw',
		OS_PROJECT_NAME: 'demo',
		OS_USER_DOMAIN_NAME: 'Default',
		OS_PROJECT_DOMAIN_ID: 'default',
		OS_REGION_NAME: 'RegionOne',
		OS_IDENTITY_API_VERSION: '3',
		OS_ENDPOINT_TYPE: 'publicURL',
		OS_LOG_LEVEL: 'ignored',
	};
	const {location} = await tree(t, {}, env);
	const config = await loadCloudConfig(location);
	t.is(config.cloudName, 'envvars');
	t.is(config.source, 'environment');
	t.is(config.authType, 'password');
	t.deepEqual(config.auth, {
		authUrl: 'https://k.example:5000/v3',
		username: 'demo',
		password: 'pw',
		userDomainName: 'Default',
		projectName: 'demo',
		projectDomainId: 'default',
	});
	t.is(config.regionName, 'RegionOne');
	t.is(config.interface, 'public');
	t.false(config.environmentVariables.includes('OS_LOG_LEVEL'));
	const renamed = await loadCloudConfig({...location, env: {...env, OS_CLOUD_NAME: 'mine'}});
	t.is(renamed.cloudName, 'mine');
	t.deepEqual(await listConfiguredClouds({...location, env: {...env, OS_CLOUD_NAME: 'mine'}}), [{name: 'mine', source: 'environment', regions: ['RegionOne']}]);
});

test('selector variables alone make no envvars cloud', async t => {
	const {location} = await tree(t, {}, {OS_REGION_NAME: 'R', OS_CLOUD_NAME: 'x'});
	t.deepEqual(await listConfiguredClouds(location), []);
	await t.throwsAsync(loadCloudConfig(location), {message: /^no cloud configured: no clouds\.yaml \(looked in .*\) and no OS_\* variables/v});
});

test('a file cloud called envvars collides with OS_* variables', async t => {
	const {location} = await tree(t, {'cwd/clouds.yaml': 'clouds:\n  envvars:\n    auth: {auth_url: "http://k"}\n'}, {OS_USERNAME: 'x'});
	await t.throwsAsync(loadCloudConfig(location), {message: /defines a cloud called 'envvars'.*OS_CLOUD_NAME/v});
});

test('the only cloud is used without being named; OSC fills the default domain', async t => {
	const {location} = await tree(t, {'home/.config/openstack/clouds.yaml': 'clouds:\n  solo:\n    auth:\n      auth_url: http://k:5000\n      username: u\n      password: p\n      project_name: pr\n'});
	const config = await loadCloudConfig(location);
	t.is(config.cloudName, 'solo');
	t.is(config.auth.userDomainId, 'default');
	t.is(config.auth.projectDomainId, 'default');
	t.true(config.verify);
	t.is(config.interface, 'public');
});

test('legacy and shorthand keys: tenant_name, domain_name, top-level project keys win over auth:', async t => {
	const {location} = await tree(t, {
		'cwd/clouds.yaml': `clouds:
  old:
    auth_plugin: v3password
    project_name: outside
    endpoint_type: internalURL
    auth:
      auth-url: http://k:5000/v3
      username: u
      password: p
      tenant_name: inside
      domain_name: Corp
`,
	});
	const config = await loadCloudConfig(location);
	t.is(config.authType, 'v3password');
	t.is(config.auth.projectName, 'outside');
	t.is(config.auth.userDomainName, 'Corp');
	t.is(config.auth.projectDomainName, 'Corp');
	t.is(config.interface, 'internal');
});

test('application credential (explicit or inferred), token, and unsupported auth types', async t => {
	const {location} = await tree(t, {
		'cwd/clouds.yaml': `${twoClouds}
  inferred:
    auth: {auth_url: "http://k", application_credential_id: ac, application_credential_secret: s}
  tok:
    auth_type: token
    auth: {auth_url: "http://k", token: abc, project_id: p}
  oidc:
    auth_type: v3oidcpassword
    auth: {auth_url: "http://k"}
`,
	});
	const beta = await loadCloudConfig({...location, cloud: 'beta'});
	t.is(beta.authType, 'v3applicationcredential');
	t.is(beta.auth.applicationCredentialSecret, 'beta-secret');
	t.is(beta.interface, 'internal');
	t.like(await loadCloudConfig({...location, cloud: 'inferred'}), {authType: 'v3applicationcredential'});
	t.like(await loadCloudConfig({...location, cloud: 'tok'}), {auth: {token: 'abc'}});
	await t.throwsAsync(loadCloudConfig({...location, cloud: 'oidc'}), {
		instanceOf: ConfigError, message: /cloud 'oidc' in .*clouds\.yaml uses auth_type 'v3oidcpassword', which backstack does not support; use one of password, v3password/v,
	});
});

test('verify: false, insecure and OS_INSECURE turn verification off; cacert is resolved from cwd', async t => {
	const base = 'auth: {auth_url: "https://k", username: u, password: p, project_id: x}';
	const {location, root} = await tree(t, {
		'cwd/clouds.yaml': `clouds:\n  a:\n    verify: false\n    ${base}\n  b:\n    insecure: true\n    verify: true\n    ${base}\n  c:\n    cacert: certs/ca.pem\n    ${base}\n`,
	});
	t.like(await loadCloudConfig({...location, cloud: 'a'}), {verify: false});
	t.like(await loadCloudConfig({...location, cloud: 'b'}), {verify: false});
	const c = await loadCloudConfig({...location, cloud: 'c'});
	t.true(c.verify);
	t.is(c.cacert, path.join(root, 'cwd/certs/ca.pem'));
	t.like(await loadCloudConfig({...location, cloud: 'c', env: {OS_INSECURE: 'true'}}), {verify: false});
});

test('bad input ends in errors that name the file, the cloud, the field and what to do', async t => {
	const {location, root} = await tree(t, {
		'cwd/clouds.yaml': 'clouds:\n  nourl:\n    auth: {username: u, password: p}\n  nopw:\n    auth: {auth_url: "http://k", username: u, project_id: p}\n  badurl:\n    auth: {auth_url: "keystone:5000", username: u, password: p}\n  regions:\n    region_name: [R1, R2]\n    auth: {auth_url: "http://k", username: u, password: p, project_id: p}\n',
	});
	const file = path.join(root, 'cwd/clouds.yaml');
	await t.throwsAsync(loadCloudConfig({...location, cloud: 'nourl'}), {
		message: `cloud 'nourl' in ${file} has no auth.auth_url; add it (e.g. auth_url: https://keystone.example.com:5000/v3) or set OS_AUTH_URL.`,
	});
	const noPassword = await t.throwsAsync<ConfigError>(loadCloudConfig({...location, cloud: 'nopw'}));
	t.is(noPassword?.field, 'auth.password');
	t.is(noPassword?.cloud, 'nopw');
	t.is(noPassword?.file, file);
	t.regex(noPassword?.message ?? '', /secure\.yaml.*OS_PASSWORD/v);
	await t.throwsAsync(loadCloudConfig({...location, cloud: 'badurl'}), {message: /auth\.auth_url 'keystone:5000' is not an http\(s\) URL/v});
	t.like(await loadCloudConfig({...location, cloud: 'regions'}), {regionName: 'R1'});
	await t.throwsAsync(loadCloudConfig({...location, cloud: 'regions', env: {OS_REGION_NAME: 'R3'}}), {message: /region 'R3' is not one of cloud 'regions''s regions .* \(R1, R2\)/v});
});

test('malformed YAML or JSON is an error naming the file', async t => {
	const {location, root} = await tree(t, {'cwd/clouds.yaml': 'clouds:\n  a:\n    auth: {auth_url: "http://k"\n  b: [\n'});
	const error = await t.throwsAsync<ConfigError>(loadCloudConfig(location));
	t.true(error instanceof ConfigError);
	t.true(error?.message.startsWith(`${path.join(root, 'cwd/clouds.yaml')} is not valid YAML: `));
	t.regex(error?.message ?? '', /Fix the file, or point OS_CLIENT_CONFIG_FILE at another one\.$/v);

	const json = await tree(t, {'cwd/clouds.json': '{"clouds": '});
	await t.throwsAsync(loadCloudConfig(json.location), {message: /clouds\.json is not valid JSON/v});

	const list = await tree(t, {'cwd/clouds.yaml': '- a\n- b\n'});
	await t.throwsAsync(loadCloudConfig(list.location), {message: /must hold a mapping with a "clouds:" key at the top, not a list/v});
});

test('listConfiguredClouds: names, source file and regions, plus the environment cloud', async t => {
	const {location, root} = await tree(t, {'home/.config/openstack/clouds.yaml': twoClouds}, {OS_AUTH_URL: 'http://k', OS_USERNAME: 'x'});
	const file = path.join(root, 'home/.config/openstack/clouds.yaml');
	t.deepEqual(await listConfiguredClouds(location), [
		{name: 'alpha', source: file, regions: ['RegionA']},
		{name: 'beta', source: file, regions: ['RegionB']},
		{name: 'envvars', source: 'environment'},
	]);
});

test('redactConfig hides the password, secret and token', async t => {
	const {location} = await tree(t, {'cwd/clouds.yaml': twoClouds});
	const redacted = redactConfig(await loadCloudConfig({...location, cloud: 'beta'}));
	t.is(redacted.auth.applicationCredentialSecret, '<redacted>');
	t.false(JSON.stringify(redacted).includes('beta-secret'));
});
