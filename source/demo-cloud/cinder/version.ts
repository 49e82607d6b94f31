/* eslint-disable @typescript-eslint/naming-convention -- OpenStack's wire format is snake_case. */
/*
Cinder's microversions (3.0-3.70, as the Zed cloud reports them) and its version document.
*/
import {HttpError, header, type RequestContext} from '../http.js';

export const cinderMaxMinor = 70;

export const versionDocument = (origin: string): Record<string, unknown> => ({
	id: 'v3.0',
	links: [
		{href: 'https://docs.openstack.org/', rel: 'describedby', type: 'text/html'},
		{href: `${origin}/volume/v3/`, rel: 'self'},
	],
	'media-types': [{base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3'}],
	min_version: '3.0',
	status: 'CURRENT',
	updated: '2022-08-31T00:00:00Z',
	version: `3.${cinderMaxMinor}`,
});

/**
Minor version from `OpenStack-API-Version: volume 3.x`; 3.0 without the header.
*/
export function volumeMicroversion(context: RequestContext): number {
	const raw = header(context, 'openstack-api-version');
	if (raw === undefined) {
		return 0;
	}

	const entry = raw.split(',').map(part => part.trim()).find(part => part.toLowerCase().startsWith('volume '));
	if (entry === undefined) {
		return 0;
	}

	const version = entry.slice('volume '.length).trim();
	if (version === 'latest') {
		return cinderMaxMinor;
	}

	const match = /^(?<major>\d+)\.(?<minor>\d+)$/v.exec(version);
	if (!match) {
		throw new HttpError(400, `Invalid API version string: ${version}`);
	}

	const major = Number(match.groups?.['major']);
	const minor = Number(match.groups?.['minor']);
	if (major !== 3 || minor > cinderMaxMinor) {
		// Real Cinder echoes the version asked for in the 406's OpenStack-API-Version header.
		throw new HttpError(406, `Version ${version} is not supported by the API. Minimum is 3.0 and maximum is 3.${cinderMaxMinor}.`, {'OpenStack-API-Version': `volume ${version}`});
	}

	return minor;
}
