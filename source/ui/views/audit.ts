/*
The audit: one row per finding, the worst first.
*/
import type {Finding} from '../../core/model.js';
import {displayName, sanitize} from '../sanitize.js';
import {severityStyle} from '../theme.js';
import {
	defineView,
	nameCell,
	searchText,
	severityRank,
} from './columns.js';

type FindingItem = {finding: Finding; index: number; name: string; reason: string};

export const auditView = defineView<FindingItem>({
	id: 'audit',
	title: 'Audit',
	columns: [
		{
			id: 'severity',
			title: 'SEV',
			width: 6,
			value({finding}) {
				const style = severityStyle[finding.severity];
				return {text: `${style.symbol} ${style.label}`, style: {color: style.color}, sort: severityRank[finding.severity]};
			},
		},
		{
			id: 'kind', title: 'KIND', width: 8, drop: 2, value: ({finding}) => ({text: finding.resource.kind}),
		},
		{
			id: 'name',
			title: 'RESOURCE',
			width: 18,
			value: ({finding, name}, {marks}) => nameCell(name, finding.resource.kind === 'volume' && (marks?.has(finding.resource.id) ?? false)),
		},
		{
			id: 'reason', title: 'FINDING', width: 20, grow: true, value: ({reason}) => ({text: reason}),
		},
	],
	defaultSort: {column: 'severity', descending: false},
	items: ({analysis}) => (analysis?.findings ?? []).map((finding, index) => ({
		finding, index, name: displayName(finding.resource), reason: sanitize(finding.reason),
	})),
	identify: ({finding, index, name, reason}) => ({
		key: `${finding.code}:${finding.resource.kind}:${finding.resource.id}:${index}`,
		ref: {...finding.resource, name: finding.resource.name === undefined ? undefined : sanitize(finding.resource.name)},
		copyId: finding.resource.id,
		search: searchText(finding.severity, finding.code, finding.resource.kind, name, finding.resource.id, reason),
		finding,
	}),
});
