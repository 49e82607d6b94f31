/*
Who and where: cloud, region, project, user, what the cloud can do for backups, and the view tabs.
*/
import {Box, Text} from 'ink';
import type {Inventory} from '../../core/model.js';
import type {CloudSession} from '../../core/types.js';
import {fit, sanitize, truncate} from '../sanitize.js';
import {paint, type Theme} from '../theme.js';

export type HeaderProps = {
	readonly width: number;
	readonly theme: Theme;
	readonly cloud: string;
	readonly region: string;
	readonly project: string;
	readonly user: string;
	readonly session?: CloudSession;
	readonly inventory?: Inventory;
	readonly capabilities: string[];
	/**
	Age of the cached inventory shown, when it is not yet refreshed.
	*/
	readonly cached?: string;
	readonly demoReason?: string;
	readonly readonly: boolean;
	readonly tabs: Array<{label: string; active: boolean}>;
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

export function Header(props: HeaderProps) {
	const where = [
		`cloud ${props.cloud}`,
		props.region ? `region ${props.region}` : '',
		`project ${props.project}`,
		`user ${props.user}`,
	].filter(Boolean).join('  ');
	const flags = [props.readonly ? 'READ-ONLY' : '', props.cached ? `cached ${props.cached} ago` : ''].filter(Boolean).join('  ');
	const capabilities = props.capabilities.length > 0 ? props.capabilities.join('  ') : capabilityLine(props.session, props.inventory);
	const title = `backstack  ${where}`;
	const room = props.width - (flags ? flags.length + 2 : 0);
	let tabsUsed = 0;
	return (
		<Box flexDirection='column'>
			<Text wrap='truncate-end'>
				<Text bold>{fit(title, Math.max(0, room))}</Text>
				{flags ? <Text color={paint(props.theme, 'yellow')}>{`  ${flags}`}</Text> : ''}
			</Text>
			<Text dimColor wrap='truncate-end'>{truncate(sanitize(capabilities), props.width)}</Text>
			{props.demoReason
				? (
					<Text bold wrap='truncate-end' color={paint(props.theme, 'black')} backgroundColor={paint(props.theme, 'yellow')}>
						{fit(`⚠ ${sanitize(props.demoReason)} — no real cloud configured`, props.width)}
					</Text>
				)
				: undefined}
			<Text wrap='truncate-end'>
				{props.tabs.map(tab => {
					const label = ` ${tab.label} `;
					const room = props.width - tabsUsed;
					tabsUsed += label.length;
					if (room <= 0) {
						return undefined;
					}

					const shown = truncate(tab.active ? `[${tab.label}]` : label, room);
					return tab.active
						? <Text key={tab.label} bold inverse color={paint(props.theme, props.theme.accent)}>{shown}</Text>
						: <Text key={tab.label} dimColor>{shown}</Text>;
				})}
			</Text>
		</Box>
	);
}
