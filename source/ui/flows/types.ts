/*
What a guided restore or backup asks before core plans it: a pick from a list, a small form, and the request for core
(commands.ts `planRestore` / `planBackup`). The plan screen (plan-screen.tsx) asks, core decides.
*/
import type {Inventory} from '../../core/model.js';
import type {BackupRequest, RestoreRequest} from '../../core/plans/commands.js';

export type FormValues = Record<string, string>;

export type FlowOption = {value: string; label: string};

export type FlowField =
	| {kind: 'text'; id: string; label: string; initial?: string; isRequired?: boolean; isNumber?: boolean; hint?: string}
	| {kind: 'choice'; id: string; label: string; options: FlowOption[]; initial?: string; hint?: string};

export type PlanRequest = {type: 'restore'; request: RestoreRequest} | {type: 'backup'; request: BackupRequest};

export type Flow = {
	title: string;
	/**
	Asked first: a choice from a list, stored under `field`.
	*/
	pick?: {field: string; question: string; options: FlowOption[]};
	fields?: FlowField[];
	/**
	Passed to the planner (restore 6 names what still points at the old secret).
	*/
	inventory?: Inventory;
	request(values: FormValues): PlanRequest;
};

/**
A flow, or the sentence that says why there is none for this selection.
*/
export type FlowResult = Flow | string;
