/*
What the screens need from core's reading of an inventory, in one object: the findings, a row summary per resource, and the
linkage tree of any resource. `services.analyse` builds it (core's assess + summarise + buildKeyGraph in the real program).
*/
import type {
	CloudResourceKind,
	Finding,
	Inventory,
	Policy,
	ResourceRef,
	ResourceSummary,
} from '../core/model.js';

export type {KeyState, Protection, ResourceSummary} from '../core/model.js';

/**
One node of a linkage tree, ready to draw: `volume data-1 → backup nightly → key 5c1e… (missing)`.
*/
export type LinkNode = {
	/**
	What the node is to its parent: `backup`, `key`, `source volume`, `used by`…
	*/
	relation?: string;
	kind?: CloudResourceKind;
	id?: string;
	name?: string;
	/**
	A short state: `missing`, `available`, `deleted`…
	*/
	note?: string;
	/**
	True when this link is what makes a restore impossible (a missing key, a deleted type).
	*/
	problem?: boolean;
	children: LinkNode[];
};

export type Analysis = {
	findings: Finding[];
	summaryOf(id: string): ResourceSummary | undefined;
	linksOf(ref: ResourceRef): LinkNode | undefined;
};

export type Analyse = (inventory: Inventory, now: Date, policy: Policy) => Analysis;
