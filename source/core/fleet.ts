/*
The fleet reading: an admin's inventory of every project of the cloud from one paged list per kind.

`audit --all-projects` with a token whose roles include `admin` reads volumes, backups, snapshots and servers once for
the whole cloud (`all_tenants=1`), images once (Glance lists every project's images to an admin, each with its
`owner`), volume types once, and splits them by project. Only Barbican stays per project, because its secrets are
project-scoped. What the real Zed cloud answered (test/real-cloud, 2026-12-06; the contract "fleet" tests keep it true):

- Cinder, as admin with `all_tenants=1`: every project's volumes with `os-vol-tenant-attr:tenant_id`, backups with
  `os-backup-project-attr:project_id` (3.18+, admin only), snapshots with `os-extended-snapshot-attributes:project_id`.
  A member asking `all_tenants=1` gets its own project's items, 200.
- Nova, as admin with `all_tenants=1`: every server with `tenant_id`. A member asking it gets 403 "Policy doesn't allow
  os_compute_api:servers:detail:get_all_tenants to be performed."
- Glance, as admin: `GET /v2/images` lists every project's images (private and shared ones too), `os_hidden=true` every
  hidden one; `owner` is the project.
- Keystone: `GET /v3/auth/projects` gives the admin only the projects it has a role in (on that cloud: `admin`);
  `GET /v3/projects` gives every project (admin only).
- Barbican: `GET /v1/secrets` lists the token's project only, and `GET /v1/secrets/{id}` of another project's secret
  answers the admin 403 "Secret retrieval attempt not allowed - please review your user/project privileges" (404 only
  when no such secret exists). So: in a project where the admin has a role, a session scoped there lists its secrets
  (the per-project path, Barbican only). Elsewhere each referenced key is still asked by ID with the admin's token (a
  cloud whose policy allows it answers): a 404 still proves a key gone (`key.missing`), a 403 makes it `key.unknown`
  with that reason, and the project's Barbican source is `forbidden` (its orphans cannot be known).
*/
import type {CallOptions, CloudSession, ListOptions} from '../openstack/api.js';
import type {
	Backup,
	Image,
	Project,
	Secret,
	Server,
	Snapshot,
	Volume,
	VolumeType,
} from '../openstack/types.js';
import {
	collect,
	combineStates,
	fillVolumeKeys,
	httpStatusOf,
	isAbort,
	lookUpUnlistedSecrets,
	mapLimited,
	sourceStateOf,
	yieldAll,
	type AllProjectsOptions,
	type ListOutcome,
	type ListReader,
} from './inventory.js';
import type {
	Inventory,
	InventoryList,
	ProjectInventory,
	SecretLookup,
	SourceState,
} from './model.js';

export type FleetOptions = AllProjectsOptions & {
	/**
	How many projects' Barbican readings run at once. Default 16.
	*/
	barbicanConcurrency?: number;
};

/**
The pseudo-project the cloud-wide lists report their progress under.
*/
export const wholeCloud: Project = {id: '*', name: 'all projects', enabled: true};

/**
Whether the session may take the fleet path: an admin token and a client that can list every project.
*/
export function canReadFleet(session: CloudSession): boolean {
	return session.identity.token().roles.includes('admin') && session.identity.listAllProjects !== undefined;
}

type CloudLists = {
	volumes: ListOutcome<Volume>;
	backups: ListOutcome<Backup>;
	snapshots: ListOutcome<Snapshot>;
	volumeTypes: ListOutcome<VolumeType>;
	images: ListOutcome<Image>;
	servers: ListOutcome<Server>;
};

async function readCloudLists(session: CloudSession, reader: ListReader, listOptions: ListOptions, callOptions: CallOptions): Promise<CloudLists> {
	const {cinder, glance, nova} = session;
	const all = {...listOptions, allProjects: true};
	const [volumes, backups, snapshots, volumeTypes, images, servers] = await Promise.all([
		collect<Volume>(reader, 'volumes', cinder && (() => cinder.listVolumes(all))),
		collect<Backup>(reader, 'backups', cinder && (() => cinder.listBackups(all))),
		collect<Snapshot>(reader, 'snapshots', cinder && (() => cinder.listSnapshots(all))),
		collect<VolumeType>(reader, 'volume-types', cinder && (() => yieldAll(cinder.listVolumeTypes(callOptions)))),
		// Glance has no all_tenants: an admin's list is every project's.
		collect<Image>(reader, 'images', glance && (() => glance.listImages(listOptions))),
		collect<Server>(reader, 'servers', nova && (() => nova.listServers(all))),
	]);
	return {
		volumes, backups, snapshots, volumeTypes, images, servers,
	};
}

type ProjectShare = {
	volumes: Volume[];
	backups: Backup[];
	snapshots: Snapshot[];
	servers: Server[];
	images: Image[];
};

function emptyShare(): ProjectShare {
	return {
		volumes: [], backups: [], snapshots: [], servers: [], images: [],
	};
}

/**
A kind whose items do not say their project (a Cinder below 3.18 hides a backup's): the lists cannot be split.
*/
function unsplittable(lists: CloudLists): string | undefined {
	const kinds: Array<[string, ReadonlyArray<{projectId?: string}>]> = [
		['volumes', lists.volumes.items], ['backups', lists.backups.items], ['snapshots', lists.snapshots.items], ['servers', lists.servers.items],
	];
	for (const [kind, items] of kinds) {
		if (items.some(item => item.projectId === undefined)) {
			return kind;
		}
	}

	return lists.images.items.some(image => image.owner === undefined && image.visibility !== 'public') ? 'images' : undefined;
}

/**
Each project's share of the cloud-wide lists. Public images go to every project, as each project's own list shows them.
*/
function split(lists: CloudLists): Map<string, ProjectShare> {
	const shares = new Map<string, ProjectShare>();
	const shareOf = (projectId: string): ProjectShare => {
		let share = shares.get(projectId);
		if (!share) {
			share = emptyShare();
			shares.set(projectId, share);
		}

		return share;
	};

	for (const volume of lists.volumes.items) {
		shareOf(volume.projectId ?? '').volumes.push(volume);
	}

	for (const backup of lists.backups.items) {
		shareOf(backup.projectId ?? '').backups.push(backup);
	}

	for (const snapshot of lists.snapshots.items) {
		shareOf(snapshot.projectId ?? '').snapshots.push(snapshot);
	}

	for (const server of lists.servers.items) {
		shareOf(server.projectId ?? '').servers.push(server);
	}

	const publicImages = lists.images.items.filter(image => image.visibility === 'public');
	for (const image of lists.images.items) {
		if (image.visibility !== 'public' && image.owner !== undefined) {
			shareOf(image.owner).images.push(image);
		}
	}

	for (const share of shares.values()) {
		share.images.unshift(...publicImages);
	}

	return shares;
}

type BarbicanReading = {
	state: SourceState;
	secrets?: Secret[];
	lookups: Record<string, SecretLookup>;
};

type BarbicanContext = {
	session: CloudSession;
	reader: ListReader;
	listOptions: ListOptions;
	concurrency: number;
	signal: AbortSignal | undefined;
};

type ScopedListing = {
	/**
	The session scoped to the project, while its referenced keys may still need asking for; closed by `readFleet`.
	*/
	session?: CloudSession;
	listed: ListOutcome<Secret>;
};

/**
A project the admin has a role in: a session scoped there (Barbican only) lists its secrets. Runs while the cloud-wide
lists are read, since it needs nothing from them.
*/
async function listScopedSecrets(context: BarbicanContext, project: Project): Promise<ScopedListing> {
	const {session, signal} = context;
	let scoped: CloudSession | undefined;
	try {
		scoped = project.id === session.identity.token().projectId
			? session
			: await session.switchProject(project.id, {services: ['barbican'], ...(signal !== undefined && {signal})});
		const {barbican} = scoped;
		const reader: ListReader = {...context.reader, onProgress: undefined};
		const listed = await collect<Secret>(reader, 'secrets', barbican && (() => barbican.listSecrets(context.listOptions)));
		return {session: scoped, listed};
	} catch (error) {
		if (scoped && scoped !== session) {
			scoped.close();
		}

		if (isAbort(error, signal)) {
			throw error;
		}

		return {listed: {items: [], state: sourceStateOf(error, 'secrets')}};
	}
}

/**
Then, the project's share known: the keys its resources refer to that the list lacks are asked for by ID, as the
per-project path does.
*/
async function finishScopedSecrets(context: BarbicanContext, listing: ScopedListing, share: ProjectShare): Promise<BarbicanReading> {
	const barbican = listing.session?.barbican;
	if (barbican === undefined || listing.listed.state.state !== 'ok') {
		return {state: listing.listed.state, lookups: {}};
	}

	const secrets = [...listing.listed.items];
	const lookups = await lookUpUnlistedSecrets(barbican, secrets, [...share.volumes, ...share.backups, ...share.images], {concurrency: 4, signal: context.signal});
	return {state: {state: 'ok'}, secrets, lookups};
}

/**
A project the admin has no role in (or a disabled one): no session can be scoped there. Each referenced key is asked by
ID with the admin's own token; Zed's Barbican answers 403 to that (see the top of this file).
*/
async function readUnscopedSecrets(context: BarbicanContext, project: Project, share: ProjectShare): Promise<BarbicanReading> {
	const {barbican} = context.session;
	const why = project.enabled
		? `Barbican's secrets are project-scoped and ${context.session.identity.token().userName} has no role in this project`
		: 'Barbican\'s secrets are project-scoped and this project is disabled';
	if (barbican === undefined) {
		return {state: context.reader.absent('barbican'), lookups: {}};
	}

	const secrets: Secret[] = [];
	const lookups = await lookUpUnlistedSecrets(barbican, secrets, [...share.volumes, ...share.backups, ...share.images], {concurrency: 4, signal: context.signal});
	const asked = Object.keys(lookups).length;
	const refused = Object.values(lookups).filter(lookup => lookup === 'forbidden').length;
	const detail = asked === 0 ? 'no key to ask for by ID' : `${asked} referenced key(s) asked by ID, ${refused} refused`;
	return {state: {state: 'forbidden', reason: `secrets: ${why} (${detail})`}, secrets, lookups};
}

type ReadContext = {
	session: CloudSession;
	lists: CloudLists;
	barbican: BarbicanContext;
	listings: Map<string, ScopedListing>;
	readAt: () => string;
};

async function inventoryOf(context: ReadContext, project: Project, share: ProjectShare): Promise<Inventory> {
	const {session, lists} = context;
	const listing = context.listings.get(project.id);
	const reading = listing
		? await finishScopedSecrets(context.barbican, listing, share)
		: await readUnscopedSecrets(context.barbican, project, share);
	const listStates: Record<InventoryList, SourceState> = {
		volumes: lists.volumes.state,
		backups: lists.backups.state,
		snapshots: lists.snapshots.state,
		'volume-types': lists.volumeTypes.state,
		images: lists.images.state,
		servers: lists.servers.state,
		secrets: reading.state,
	};
	return {
		cloud: session.cloudName,
		...(session.region !== undefined && {region: session.region}),
		project,
		readAt: context.readAt(),
		sources: {
			identity: {state: 'ok'},
			cinder: session.cinder ? combineStates([lists.volumes.state, lists.backups.state, lists.snapshots.state, lists.volumeTypes.state]) : lists.volumes.state,
			glance: lists.images.state,
			nova: lists.servers.state,
			barbican: reading.state,
		},
		lists: listStates,
		...share,
		...(reading.secrets !== undefined && {secrets: reading.secrets}),
		volumeTypes: lists.volumeTypes.items,
		...(Object.keys(reading.lookups).length > 0 && {secretLookups: reading.lookups}),
	};
}

/**
Every project of the cloud (`GET /v3/projects`) plus any project that owns resources but is not in Keystone any more.
*/
function projectsToReport(projects: Project[], shares: Map<string, ProjectShare>): Project[] {
	const known = new Set(projects.map(project => project.id));
	const orphans: Project[] = [];
	for (const id of shares.keys()) {
		if (id !== '' && !known.has(id)) {
			orphans.push({id, name: `${id} (not in Keystone)`, enabled: false});
		}
	}

	return [...projects, ...orphans].toSorted((a, b) => (a.name === b.name ? a.id.localeCompare(b.id) : a.name.localeCompare(b.name)));
}

/**
The fleet reading (see the top of this file). Resolves to `undefined` when the fleet path cannot be taken (Keystone
refuses the project list, or a list's items do not say their project): the caller then reads project by project.
*/
export async function readFleet(session: CloudSession, options: FleetOptions = {}): Promise<ProjectInventory[] | undefined> {
	const {signal} = options;
	const callOptions = signal === undefined ? {} : {signal};
	const isRawKept = options.keepRaw ?? true;
	const listOptions = {...callOptions, pageSize: options.pageSize ?? 1000, keepRaw: isRawKept};
	const serviceStates = session.services();
	const progress = options.onProgress;
	const reader: ListReader = {
		signal,
		keepRaw: isRawKept,
		onProgress(event) {
			progress?.(event);
			options.onProjectProgress?.(wholeCloud, event);
		},
		absent(service) {
			const status = serviceStates[service];
			return status.state === 'ok' ? {state: 'missing', reason: `${service} is not available in this session`} : {state: status.state, reason: status.reason};
		},
	};

	let projects: Project[];
	let scopable: Project[];
	try {
		[projects, scopable] = await Promise.all([session.identity.listAllProjects!(callOptions), session.identity.listProjects(callOptions)]);
	} catch (error) {
		if (isAbort(error, signal) || (httpStatusOf(error) !== 403 && httpStatusOf(error) !== 401)) {
			throw error;
		}

		return undefined;
	}

	const barbican: BarbicanContext = {
		session, reader, listOptions, concurrency: options.barbicanConcurrency ?? 16, signal,
	};
	const scopableIds = new Set(scopable.map(project => project.id));
	const listings = new Map<string, ScopedListing>();
	try {
		const [lists] = await Promise.all([
			readCloudLists(session, reader, listOptions, callOptions),
			mapLimited(projects.filter(project => project.enabled && scopableIds.has(project.id)), barbican.concurrency, async project => {
				listings.set(project.id, await listScopedSecrets(barbican, project));
			}),
		]);
		if (unsplittable(lists) !== undefined) {
			return undefined;
		}

		if (session.cinder && lists.volumes.state.state === 'ok') {
			await fillVolumeKeys(session.cinder, lists.volumes.items, options.concurrency ?? 8, signal);
		}

		const shares = split(lists);
		const publicImages = lists.images.items.filter(image => image.visibility === 'public');
		const context: ReadContext = {
			session, lists, barbican, listings, readAt: () => new Date().toISOString(),
		};
		return await mapLimited(projectsToReport(projects, shares), barbican.concurrency, async project => {
			options.onProject?.({project, done: false});
			const share = shares.get(project.id) ?? {...emptyShare(), images: publicImages};
			const inventory = await inventoryOf(context, project, share);
			options.onProject?.({project, done: true});
			return {project, inventory};
		});
	} finally {
		for (const listing of listings.values()) {
			if (listing.session && listing.session !== session) {
				listing.session.close();
			}
		}
	}
}
