/*
The real `services.analyse`: core's rules (assess), row summaries (summarise) and key graph (buildKeyGraph), behind the one
object the screens read. Link trees are converted to the UI's drawable nodes here.
*/
import {assess, summarise} from '../core/assessment.js';
import type {DrillRecord} from '../core/drills.js';
import {buildKeyGraph, type LinkNode as CoreLinkNode} from '../core/keys.js';
import type {Inventory, Policy, ResourceRef} from '../core/model.js';
import type {Analyse, Analysis, LinkNode} from './analysis.js';

const relationLabels: Record<string, string> = {
	type: 'type',
	'type-of': 'type of',
	key: 'key',
	'used-by': 'used by',
	snapshot: 'snapshot',
	'snapshot-of': 'snapshot of',
	backup: 'backup',
	'source-volume': 'source volume',
	'source-type': 'source type',
	'backup-of-type': 'backup of this type',
	'attached-to': 'attached to',
	volume: 'volume',
	'snapshot-image': 'snapshot image',
	'image-of-server': 'image of server',
	'image-snapshot': 'snapshot in image',
	'in-image': 'in image',
	'boot-image': 'boot image',
	'booted-server': 'booted server',
};

/**
A core link tree as the detail pane draws it.
*/
export function toLinkNode(node: CoreLinkNode): LinkNode {
	return {
		relation: node.relation === undefined ? undefined : (relationLabels[node.relation] ?? node.relation),
		kind: node.ref.kind,
		id: node.ref.id,
		name: node.ref.name,
		note: node.state === 'present' ? undefined : node.state,
		problem: node.state === 'missing',
		children: node.children.map(child => toLinkNode(child)),
	};
}

/**
The analysis with restore drill records read elsewhere (the local drill log) beside each backup's metadata.
*/
export function analyseWithDrills(drills: () => readonly DrillRecord[]): Analyse {
	return (inventory, now, policy) => analyse(inventory, now, policy, drills());
}

export const analyseWithCore: Analyse = (inventory, now, policy) => analyse(inventory, now, policy, []);

function analyse(inventory: Inventory, now: Date, policy: Policy, drills: readonly DrillRecord[]): Analysis {
	const findings = assess(inventory, now, policy, drills);
	const summaries = summarise(inventory, findings, {now, policy, drills});
	let graph: ReturnType<typeof buildKeyGraph> | undefined;
	return {
		findings,
		summaryOf: (id: string) => summaries[id],
		linksOf(ref: ResourceRef) {
			// Built on first use: the tables do not need it, only the detail pane.
			graph ??= buildKeyGraph(inventory);
			return toLinkNode(graph.linksOf(ref, {depth: 2}));
		},
	};
}
