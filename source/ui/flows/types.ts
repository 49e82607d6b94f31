/*
What a guided restore, backup or restore drill asks before core plans it: a pick from a list, a small form, and the
request for core (commands.ts `planRestore` / `planBackup`, drill.ts `planDrill`). The plan screen (plan-screen.tsx)
asks, core decides.
*/
import type {Inventory} from '../../core/model.js';
import type {BackupRequest, RestoreRequest} from '../../core/plans/commands.js';
import type {DrillRequest} from '../../core/plans/drill.js';
import type {Backup} from '../../core/types.js';

export type FormValues = Record<string, string>;

export type FlowOption = {value: string; label: string};

export type FlowField =
	| {kind: 'text'; id: string; label: string; initial?: string; isRequired?: boolean; isNumber?: boolean; hint?: string}
	| {kind: 'choice'; id: string; label: string; options: FlowOption[]; initial?: string; hint?: string};

export type PlanRequest =
	| {type: 'restore'; request: RestoreRequest}
	| {type: 'backup'; request: BackupRequest}
	| {type: 'drill'; request: DrillRequest};

/**
The backup a restore drill proves, as the inventory had it when `D` was pressed.
*/
export type DrillTarget = Pick<Backup, 'id' | 'name' | 'volumeId' | 'status'>;

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
	/**
	Set for a restore drill: once its run is over (passed or failed) the plan screen records the outcome on the backup and
	in the local drill log, and says what the drill found.
	*/
	drill?: DrillTarget;
	/**
	The flow that comes after this one once it is over (the next marked backup's drill); leaving with Esc stops there.
	*/
	next?: Flow;
	/**
	The form's values checked before anything is planned (the bundle directory is one): a sentence keeps the form open
	with it, for the user to correct.
	*/
	check?: (values: FormValues) => string | undefined;
	request(values: FormValues): PlanRequest;
};

/**
A flow, or the sentence that says why there is none for this selection.
*/
export type FlowResult = Flow | string;
