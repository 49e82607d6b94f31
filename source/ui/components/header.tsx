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

export type HeaderProps = {
	readonly width: number;
	readonly theme: Theme;
	readonly cloud: CloudState;
	readonly now: Date;
	readonly demoReason?: string;
	readonly isReadonly: boolean;
	readonly tabs: Array<{label: string; isActive: boolean}>;
};

/**
One short capability line from the session's catalog and what the inventory could read.
*/
export function capabilityLine(session: CloudSession | undefined, inventory: Inventory | undefined): string {
	if (!session) {
		return 'capabilities: …';
	}

	const services = session.services();
	const parts: string[] = [];
	const mark = (name: string, state: string | undefined, detail = '') => {
		const symbol = state === 'ok' ? '✔' : (state === undefined ? '…' : '✖');
		parts.push(`${name} ${symbol}${detail}`);
	};

	const {cinder} = services;
	mark('cinder', cinder.state, cinder.state === 'ok' && cinder.microversion ? ` ${cinder.microversion.max}` : '');
	const backups = inventory?.lists?.backups ?? (inventory ? inventory.sources.cinder : undefined);
	mark('backups', backups?.state);
	mark('barbican', inventory ? inventory.sources.barbican.state : services.barbican.state);
	mark('glance', services.glance.state);
	const {nova} = services;
	mark('nova', nova.state, nova.state === 'ok' && nova.microversion ? ` ${nova.microversion.max}` : '');
	return parts.join('  ');
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
	const capabilities = cloud.capabilities.length > 0 ? cloud.capabilities.join('  ') : capabilityLine(session, cloud.inventory);
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
						{fit(`⚠ ${sanitize(props.demoReason)} — no real cloud configured`, props.width)}
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
