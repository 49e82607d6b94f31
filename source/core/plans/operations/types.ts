/*
What one operation is: everything backstack knows about one API call (or local file work), in one object. The registry
(index.ts) is typed from `Operations`, so an operation that lacks a part, or an `Operations` entry without an operation,
does not compile.
*/
import type {CloudSession} from '../../../openstack/api.js';
import type {Outputs} from '../refs.js';
import type {Show} from '../text.js';
import type {
	Clock,
	CreatedResource,
	Danger,
	FileIdentity,
	OperationName,
	Operations,
	Plan,
	PlanEvent,
	PlanResourceKind,
	Step,
} from '../types.js';

export type StepOutputs = Record<string, string | number>;

/**
What a step's `perform` gets from the run driver.
*/
export type StepContext = {
	step: Step;
	session: CloudSession;
	outputs: Outputs;
	signal: AbortSignal;
	clock: Clock;
	emit: (event: PlanEvent) => void;
	/**
	Called the moment a local file was created (absolute path), or moved (`movedFrom`: the path it was recorded under).
	*/
	createdFile: (file: string, identity: FileIdentity, movedFrom?: string) => void;
	/**
	Removes now the temporary resources these steps created (newest first, each reported as a cleanup event of this
	step, journalled as removed by it); fails naming those that could not be removed.
	*/
	removeTemporaries: (stepIds: readonly string[]) => Promise<void>;
	/**
	The step's mark (intents.ts), journalled before the call: the call stamps it on what it creates.
	*/
	intent?: string;
};

export type Operation<K extends OperationName> = {
	/**
	One line for previews and progress; `show` renders values (refs in previews, resolved values while running).
	*/
	describe(args: Operations[K], show: Show): string;
	/**
	The call. Calls that change the cloud are not aborted half-way: their result must be recorded (the driver checks the
	signal right after). Reads, waits and byte transfers are. Resolves with the outputs named by `outputs`.
	*/
	perform(args: Operations[K], context: StepContext): Promise<StepOutputs>;
	/**
	The same step as bash lines of `openstack` commands (a runbook); an output is kept in the variable `variableFor` names.
	*/
	exportCli(input: {step: Step; args: Operations[K]; plan: Plan}): string[];
	/**
	The outputs `perform` resolves with.
	*/
	outputs(args: Operations[K]): readonly string[];
	/**
	The least danger of the call, from what it does to data the user already has, whatever the planner wrote.
	*/
	minimumDanger(args: Operations[K], plan: Plan): Danger;
	/**
	The kind of resource the call creates, which cleanup removes (a step's `creates` must name this kind); absent for calls
	that create nothing (deletes, property changes).
	*/
	undo?: RemovableKind;
	/**
	How a lost answer is made safe (intents.ts), when the call can be marked: whether this cloud keeps the mark for
	these arguments, and the outputs of the resource that carries it (undefined when there is none).
	*/
	intent?: {
		isMarkable(session: CloudSession, args: Operations[K]): boolean;
		find(session: CloudSession, mark: string, args: Operations[K], signal?: AbortSignal): Promise<StepOutputs | undefined>;
	};
	/**
	After the journal recorded what a marked call created (`context.intent` is the mark, the step's outputs are in
	`context.outputs`): give the resource the plan's name back where the mark had to go into its name (intents.ts). Run
	again on a resume; it writes only what differs.
	*/
	settle?(args: Operations[K], context: StepContext): Promise<void>;
	/**
	IDs under which Cinder files a user message about a failed wait of this step (besides the waited-for resource's).
	*/
	messageIds?(args: Operations[K]): string[];
};

/**
The operations of one family (cinder, glance…): `Prefix` is the part of the name before the dot.
*/
export type OperationFamily<Prefix extends string> = {
	[K in Extract<OperationName, `${Prefix}.${string}`>]: Operation<K>
};

/**
Kinds of resource backstack may delete (what it created: a server only when a plan booted it, e.g. a bundle's restore
that failed); never volume types.
*/
export type RemovableKind = Exclude<PlanResourceKind, 'volume-type'>;

/**
Deletes one created resource and waits until it is gone where something may depend on it; `'gone'` when there was
nothing left to remove. `deadline` is a clock time.
*/
export type Remover = (session: CloudSession, resource: CreatedResource, clock: Clock, deadline: number) => Promise<'gone' | undefined>;
