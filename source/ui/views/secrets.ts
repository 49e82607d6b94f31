/*
Secrets (Barbican): newest first, with whether anything still uses each.
*/
import type {Severity} from '../../core/model.js';
import type {Secret} from '../../core/types.js';
import {sanitize} from '../sanitize.js';
import {severityStyle} from '../theme.js';
import {
	ageColumn,
	defineView,
	nameCell,
	orElse,
	ref,
	searchText,
	severityRank,
} from './columns.js';

type SecretItem = {secret: Secret; name: string; algorithm: string; severity: Severity; use: string};

function useOf(severity: Severity): string {
	if (severity === 'ok') {
		return 'in use';
	}

	return severity === 'info' ? 'orphan?' : severityStyle[severity].label;
}

export const secretsView = defineView<SecretItem>({
	id: 'secrets',
	title: 'Secrets',
	columns: [
		{
			id: 'status', title: 'STATUS', width: 9, value: ({secret}) => ({text: sanitize(secret.status), sort: secret.status}),
		},
		{
			id: 'name', title: 'NAME', width: 16, grow: true, value: ({name}) => nameCell(name),
		},
		{
			id: 'type', title: 'TYPE', width: 10, drop: 3, value: ({secret}) => ({text: sanitize(secret.secretType), sort: secret.secretType}),
		},
		{
			id: 'algorithm', title: 'ALGORITHM', width: 12, drop: 2, value: ({algorithm}) => ({text: orElse(algorithm, '—'), sort: algorithm}),
		},
		{
			id: 'severity',
			title: 'USE',
			width: 8,
			value: ({severity, use}) => ({text: use, style: {color: severityStyle[severity].color}, sort: severityRank[severity]}),
		},
		ageColumn(({secret}) => secret.createdAt),
	],
	defaultSort: {column: 'age', descending: false},
	items: ({inventory, analysis}) => (inventory?.secrets ?? []).map(secret => {
		const severity = analysis?.summaryOf(secret.id)?.severity ?? 'ok';
		return {
			secret,
			name: orElse(sanitize(secret.name), '(unnamed)'),
			algorithm: [secret.algorithm, secret.bitLength, secret.mode].filter(Boolean).map(part => sanitize(part)).join('-'),
			severity,
			use: useOf(severity),
		};
	}),
	identify: ({secret, name, algorithm, use}) => ({
		key: secret.id,
		ref: ref('secret', secret.id, secret.name),
		copyId: secret.id,
		search: searchText(name, secret.id, secret.secretType, algorithm, use),
		raw: secret.raw,
	}),
});
