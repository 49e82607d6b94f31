/*
Who and where: cloud, region, project, user, what the cloud can do for backups, and the view tabs.
*/
import {Box, Text} from 'ink';
import type {Inventory} from '../../core/model.js';
import type {CloudSession} from '../../core/types.js';
import {
	displayWidth,
	fit,
	sanitize,
	truncate,
} from '../sanitize.js';
import {paint, type Theme} from '../theme.js';
import {age} from '../format.js';
import type {CloudState} from '../use-cloud.js';
import type {CapabilityCheck} from '../services.js';

export type HeaderProps = {
	readonly width: number;
	readonly theme: Theme;
	readonly cloud: CloudState;
	readonly now: Date;
	readonly demoReason?: string;
	readonly isReadonly: boolean;
	readonly tabs: Array<{label: string; isActive: boolean}>;
};

const checkSymbols: Record<CapabilityCheck['state'], string> = {
	ok: '✔', warn: '▲', fail: '✖', info: '·',
};

// Topics of core's check shown in the header, and their short names.
const checkTopics: Record<string, string> = {
	'backup service': 'backups',
	'key manager': 'barbican',
	'key payloads': 'payloads',
};

function symbolOf(state: string | undefined): string {
	if (state === undefined) {
		return '…';
	}

	return state === 'ok' ? '✔' : '✖';
}

/**
One short capability line: the catalog's services and microversions, then what the capability check found.
*/
export function capabilityLine(session: CloudSession | undefined, inventory: Inventory | undefined, checks: readonly CapabilityCheck[]): string {
	if (session === undefined) {
		return 'capabilities: …';
	}

	const services = session.services();
	const checked = new Map(checks.filter(check => checkTopics[check.topic] !== undefined).map(check => [checkTopics[check.topic] ?? '', check]));
	const show = (name: string, fallback: string | undefined) => {
		const check = checked.get(name);
		return `${name} ${check === undefined ? symbolOf(fallback) : checkSymbols[check.state]}`;
	};

	const {cinder, nova} = services;
	const parts = [
		`cinder ${symbolOf(cinder.state)}${cinder.state === 'ok' && cinder.microversion !== undefined ? ` ${cinder.microversion.max}` : ''}`,
		show('backups', (inventory?.lists?.backups ?? inventory?.sources.cinder)?.state),
		show('barbican', inventory === undefined ? services.barbican.state : inventory.sources.barbican.state),
		`glance ${symbolOf(services.glance.state)}`,
		`nova ${symbolOf(nova.state)}${nova.state === 'ok' && nova.microversion !== undefined ? ` ${nova.microversion.max}` : ''}`,
	];
	const payloads = checked.has('payloads') ? [show('payloads', undefined)] : [];
	return [...parts, ...payloads].join('  ');
}

/**
The tabs that fit in `width`, the active one in brackets.
*/
export function tabCells(tabs: ReadonlyArray<{label: string; isActive: boolean}>, width: number): Array<{label: string; text: string; isActive: boolean}> {
	const cells: Array<{label: string; text: string; isActive: boolean}> = [];
	let used = 0;
	for (const tab of tabs) {
		const room = width - used;
		if (room <= 0) {
			break;
		}

		const text = truncate(tab.isActive ? `[${tab.label}]` : ` ${tab.label} `, room);
		used += displayWidth(text);
		cells.push({label: tab.label, text, isActive: tab.isActive});
	}

	return cells;
}

export function Header(props: HeaderProps) {
	const {cloud} = props;
	const {session} = cloud;
	const token = session?.identity.token();
	const region = sanitize(session?.region ?? cloud.inventory?.region ?? '');
	const where = [
		`cloud ${sanitize(session?.cloudName ?? cloud.cloud ?? '…')}`,
		region === '' ? '' : `region ${region}`,
		`project ${sanitize(token?.projectName ?? '…')}`,
		`user ${sanitize(token?.userName ?? '…')}`,
	].filter(part => part !== '').join('  ');
	const flags = [props.isReadonly ? 'READ-ONLY' : '', cloud.cachedAt === undefined ? '' : `cached ${age(cloud.cachedAt, props.now)} ago`].filter(part => part !== '').join('  ');
	const capabilities = capabilityLine(session, cloud.inventory, cloud.capabilities);
	const title = `backstack  ${where}`;
	const room = props.width - (flags === '' ? 0 : flags.length + 2);
	return (
		<Box flexDirection='column'>
			<Text wrap='truncate-end'>
				<Text bold>{fit(title, Math.max(0, room))}</Text>
				{flags === '' ? '' : <Text color={paint(props.theme, 'yellow')}>{`  ${flags}`}</Text>}
			</Text>
			<Text dimColor wrap='truncate-end'>{truncate(sanitize(capabilities), props.width)}</Text>
			{props.demoReason === undefined
				? undefined
				: (
					<Text bold wrap='truncate-end' color={paint(props.theme, 'black')} backgroundColor={paint(props.theme, 'yellow')}>
						{fit(`⚠ ${sanitize(props.demoReason)}`, props.width)}
					</Text>
				)}
			<Text wrap='truncate-end'>
				{tabCells(props.tabs, props.width).map(tab => (tab.isActive
					? <Text key={tab.label} bold inverse color={paint(props.theme, props.theme.accent)}>{tab.text}</Text>
					: <Text key={tab.label} dimColor>{tab.text}</Text>))}
			</Text>
		</Box>
	);
}
