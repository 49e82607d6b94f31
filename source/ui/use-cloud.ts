/*
The cloud side of the App's state: which cloud and project, the session, the inventory (cached first, then live), the
projects and clouds to switch to, and the reading's progress. Switching cloud or project happens here, without a restart.
*/
import {
	useCallback,
	useEffect,
	useMemo,
	useRef,
	useState,
} from 'react';
import type {Inventory, InventoryList, InventoryProgress} from '../core/model.js';
import type {CloudSession, Project} from '../core/types.js';
import type {AppServices, CapabilityCheck} from './services.js';
import {sanitize} from './sanitize.js';
import type {CloudEntry} from './views/index.js';

export type LoadPhase = 'connecting' | 'reading' | 'idle' | 'failed';

export type CloudState = {
	cloud?: string;
	session?: CloudSession;
	clouds: CloudEntry[];
	projects: Project[];
	/**
	What core's capability check found (sanitised); empty until it answers.
	*/
	capabilities: CapabilityCheck[];
	inventory?: Inventory;
	/**
	When the inventory shown came from the cache: when it was saved.
	*/
	cachedAt?: string;
	phase: LoadPhase;
	/**
	What is happening, or what failed (sanitised).
	*/
	status?: string;
	/**
	Per list while reading: resources read so far, whether it ended, and how long it has gone without an answer.
	*/
	progress: Partial<Record<InventoryList, ListProgress>>;
	refresh(): void;
	switchProject(projectId: string): Promise<string>;
	switchCloud(name: string): void;
};

/**
Statuses of work under way: while any resource is in one, the inventory refreshes on its own.
*/
const busyStatus = /^(?:creating|attaching|detaching|deleting|backing-up|restoring|restoring-backup|downloading|uploading|saving|queued|importing|retyping|extending)$/iv;

export function isSomethingInProgress(inventory: Inventory | undefined): boolean {
	if (inventory === undefined) {
		return false;
	}

	const lists: Array<ReadonlyArray<{status: string}>> = [inventory.volumes, inventory.backups, inventory.snapshots, inventory.images];
	return lists.some(list => list.some(item => busyStatus.test(item.status)));
}

/**
One list's reading, as the status line shows it.
*/
export type ListProgress = {
	count: number;
	done: boolean;
	/**
	Milliseconds since the list last answered (or started).
	*/
	quietMs: number;
};

export function errorText(error: unknown): string {
	return sanitize(error instanceof Error ? error.message : String(error));
}

export function useCloud(services: AppServices, initial: {cloud?: string; project?: string}): CloudState {
	const [cloud, setCloud] = useState<string | undefined>(initial.cloud);
	const [session, setSession] = useState<CloudSession | undefined>();
	const [clouds, setClouds] = useState<CloudEntry[]>([]);
	const [projects, setProjects] = useState<Project[]>([]);
	const [capabilities, setCapabilities] = useState<CapabilityCheck[]>([]);
	// One state for the inventory and where it came from: a frame can never show the live inventory still marked as cached.
	const [shown, setShown] = useState<{inventory?: Inventory; cachedAt?: string}>({});
	const {inventory, cachedAt} = shown;
	const [phase, setPhase] = useState<LoadPhase>('connecting');
	const [status, setStatus] = useState<string | undefined>('connecting…');
	const [progress, setProgress] = useState<Partial<Record<InventoryList, ListProgress>>>({});
	const [generation, setGeneration] = useState(0);
	const sessionRef = useRef<CloudSession | undefined>(undefined);
	const projectRef = useRef<string | undefined>(initial.project);

	useEffect(() => {
		let isLive = true;
		services.connector.listClouds()
			.then(list => {
				if (isLive) {
					setClouds(list);
				}
			})
			.catch(() => {
				// No clouds.yaml: the list stays empty; connecting reports the real problem.
			});
		return () => {
			isLive = false;
		};
	}, [services.connector]);

	// Connect whenever the cloud changes.
	useEffect(() => {
		const controller = new AbortController();
		services.connector.connect(cloud, {project: projectRef.current, signal: controller.signal})
			.then(opened => {
				if (controller.signal.aborted) {
					opened.close();
					return;
				}

				sessionRef.current?.close();
				sessionRef.current = opened;
				setSession(opened);
				setPhase('reading');
				setStatus('reading inventory…');
				setCloud(current => current ?? opened.cloudName);
			})
			.catch((error: unknown) => {
				if (controller.signal.aborted) {
					return;
				}

				setPhase('failed');
				setStatus(`cannot connect: ${errorText(error)}`);
			});
		return () => {
			controller.abort();
		};
	}, [cloud, services.connector]);

	useEffect(() => () => {
		sessionRef.current?.close();
	}, []);

	// Per session: the projects to switch to and the capability line.
	useEffect(() => {
		if (session === undefined) {
			return;
		}

		const controller = new AbortController();
		session.identity.listProjects({signal: controller.signal})
			.then(list => {
				setProjects(list);
			})
			.catch(() => {
				setProjects([]);
			});
		services.checkCloud?.(session, {signal: controller.signal})
			.then(lines => {
				setCapabilities(lines.map(line => (typeof line === 'string'
					? {state: 'info', topic: '', text: sanitize(line)}
					: {state: line.state, topic: sanitize(line.topic), text: sanitize(line.text)})));
			})
			.catch(() => {
				setCapabilities([]);
			});
		return () => {
			controller.abort();
		};
	}, [session, services]);

	// The inventory: the cached one first (marked with its age), then the live one.
	useEffect(() => {
		if (session === undefined) {
			return;
		}

		const controller = new AbortController();
		const key = [session.cloudName, session.identity.token().projectId] as const;
		const lists: Partial<Record<InventoryList, {count: number; done: boolean; lastAt: number}>> = {};
		if (generation === 0 && services.cache !== undefined) {
			services.cache.get(...key)
				.then(entry => {
					if (entry === undefined || controller.signal.aborted) {
						return;
					}

					// The live inventory may have arrived first: then the cached one is not shown at all.
					setShown(current => current.inventory === undefined ? {inventory: entry.inventory, cachedAt: entry.savedAt} : current);
				})
				.catch(() => undefined);
		}

		// The wall clock, not services.now(): how long a list has been silent is real time even when a test fixes "now".
		const timer = setInterval(() => {
			const at = Date.now();
			setProgress(Object.fromEntries(Object.entries(lists).map(([list, {count, done, lastAt}]) => [list, {count, done, quietMs: at - lastAt}])));
		}, 200);
		const onProgress = (event: InventoryProgress) => {
			lists[event.resource] = {count: event.count, done: event.done, lastAt: Date.now()};
		};

		services.readInventory(session, {signal: controller.signal, onProgress})
			.then(fresh => {
				if (controller.signal.aborted) {
					return;
				}

				setShown({inventory: fresh});
				setPhase('idle');
				setStatus(undefined);
				void services.cache?.set(...key, fresh).catch(() => undefined);
			})
			.catch((error: unknown) => {
				if (controller.signal.aborted) {
					return;
				}

				setPhase('failed');
				setStatus(`reading failed: ${errorText(error)}`);
			})
			.finally(() => {
				clearInterval(timer);
			});
		return () => {
			controller.abort();
			clearInterval(timer);
		};
	}, [session, generation, services]);

	const refresh = useCallback(() => {
		setPhase('reading');
		setStatus('refreshing…');
		setGeneration(value => value + 1);
	}, []);

	// Auto-refresh while something is in progress.
	const isBusy = useMemo(() => isSomethingInProgress(inventory), [inventory]);
	useEffect(() => {
		if (!isBusy || phase !== 'idle') {
			return;
		}

		const timer = setTimeout(refresh, Math.max(1, services.refreshSeconds) * 1000);
		return () => {
			clearTimeout(timer);
		};
	}, [isBusy, phase, services.refreshSeconds, refresh]);

	const switchProject = useCallback(async (projectId: string): Promise<string> => {
		const active = sessionRef.current;
		if (active === undefined || active.identity.token().projectId === projectId) {
			return 'already there';
		}

		setPhase('connecting');
		setStatus('switching project…');
		try {
			const next = await active.switchProject(projectId);
			sessionRef.current = next;
			active.close();
			setShown({});
			setProgress({});
			setGeneration(0);
			setPhase('reading');
			setStatus('reading inventory…');
			setSession(next);
			return `project ${sanitize(next.identity.token().projectName)}`;
		} catch (error: unknown) {
			setPhase('idle');
			setStatus(undefined);
			return `cannot switch project: ${errorText(error)}`;
		}
	}, []);

	const switchCloud = useCallback((name: string) => {
		if (sessionRef.current?.cloudName === name) {
			return;
		}

		projectRef.current = undefined;
		setShown({});
		setProjects([]);
		setCapabilities([]);
		setProgress({});
		setGeneration(0);
		setPhase('connecting');
		setStatus(`connecting to ${sanitize(name)}…`);
		setCloud(name);
	}, []);

	return {
		cloud, session, clouds, projects, capabilities, inventory, cachedAt, phase, status, progress, refresh, switchProject, switchCloud,
	};
}
