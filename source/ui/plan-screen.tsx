/*
One screen for every guided restore and backup. A flow (flows.ts) says what to ask: first a pick from a list (the target
volume, the backup to restore), then a small form (paths, names, formats); core plans the request (and may ask for a
volume type: the 'choose' phase again), the screen previews every step with its danger, asks for the typed confirmation
when a step destroys something, then runs it with each step's live progress (runPlan's events through reducePlan).
Nothing changes in the cloud before the user presses Enter on the preview.

Ctrl+C (or Esc) during a run aborts it and waits for the executor to settle (a call in flight is recorded, temporaries are
removed); what the plan created and is still there is then named, and the user cleans it up now (core's cleanup, with
its progress) or keeps it (the journal lists it for `backstack journal`). A plan that fails on its own offers the same.
*/
import {
	useEffect,
	useLayoutEffect,
	useRef,
	useState,
} from 'react';
import {
	Box,
	Text,
	type Key,
} from 'ink';
import type {CloudSession} from '../core/types.js';
import {planBackup, planRestore} from '../core/plans/commands.js';
import {describePlan, isConfirmed, requiresConfirmation} from '../core/plans/describe.js';
import {removeAll} from '../core/plans/execute.js';
import {cleanupPlan, runPlanLocked} from '../core/plans/recover.js';
import {systemClock} from '../core/plans/clock.js';
import {
	initialRunState,
	reducePlan,
	type CleanupProgress,
	type RunState,
} from '../core/plans/reduce.js';
import type {
	Clock,
	CreatedResource,
	Plan,
	PlanEvent,
	PlanResult,
	StepState,
} from '../core/plans/types.js';
import {sanitize, truncate} from './sanitize.js';
import type {KeyHandler} from './sequential-input.js';
import {
	bindingKeys,
	findBinding,
	keymap,
	type PlanContext,
} from './keymap.js';
import {paint, type Theme} from './theme.js';
import {bytes, wrap} from './format.js';
import type {
	Flow,
	FlowField,
	FlowOption,
	FormValues,
} from './flows.js';

type Choose = {
	step: 'choose';
	/**
	The flow's own pick, or core's question (needs-input).
	*/
	source: 'pick' | 'core';
	field: string;
	question: string;
	options: FlowOption[];
	choice: number;
	values: FormValues;
};

type Phase =
	| Choose
	| {step: 'form'; values: FormValues; index: number; error?: string}
	| {step: 'planning'; values: FormValues}
	| {step: 'refused'; reason: string}
	| {step: 'failed-to-plan'; reason: string}
	| {step: 'preview'; plan: Plan; typed: string}
	| {step: 'running'; plan: Plan; state: RunState; isStopping: boolean}
	| {step: 'cleanup'; plan: Plan; state: RunState; progress: CleanupProgress[]; isOver: boolean; error?: string}
	| {step: 'kept'; plan: Plan; state: RunState};

const stateSymbols: Record<StepState, {symbol: string; color?: string}> = {
	pending: {symbol: '·'},
	running: {symbol: '◷', color: 'yellow'},
	done: {symbol: '✔', color: 'green'},
	failed: {symbol: '✖', color: 'red'},
	skipped: {symbol: '-'},
	cancelled: {symbol: '■', color: 'yellow'},
};

const dangerColors: Record<string, string | undefined> = {
	read: undefined, create: 'cyan', mutate: 'yellow', destroy: 'red',
};

function message(error: unknown): string {
	return sanitize(error instanceof Error ? error.message : String(error));
}

function isOver(state: RunState): boolean {
	return ['done', 'failed', 'cancelled'].includes(state.phase);
}

/**
What the run created and is still there, once it has settled without finishing.
*/
export function leftoversOf(state: RunState): CreatedResource[] {
	if (state.phase !== 'failed' && state.phase !== 'cancelled') {
		return [];
	}

	const removed = new Set(state.cleanup.filter(item => item.state === 'done').map(item => `${item.resource.kind}:${item.resource.id}`));
	return state.offered.filter(resource => !removed.has(`${resource.kind}:${resource.id}`));
}

function resourceText(resource: CreatedResource): string {
	const {kind, id, name = ''} = resource;
	return ['', id].includes(name) ? `${kind} ${sanitize(id)}` : `${kind} ${sanitize(name)} (${sanitize(id)})`;
}

export type PlanScreenProps = {
	readonly session: CloudSession;
	readonly flow: Flow;
	readonly width: number;
	readonly height: number;
	readonly theme: Theme;
	/**
	Directory of the plan journal: a plan that is killed half-way can then be resumed or cleaned up.
	*/
	readonly journal?: string;
	/**
	How the executor waits (tests run the demo cloud's waits faster).
	*/
	readonly clock?: Clock;
	/**
	Back to the lists; `hasChanged` when the run created, changed or removed something (the inventory should be re-read),
	and a line for the status bar.
	*/
	readonly onClose: (hasChanged: boolean, note?: string) => void;
	/**
	Where the App sends the keys while this screen is open: one queue for the whole program, so that keys typed ahead
	across the switch to this screen (b then Enter) reach it in order (source/ui/sequential-input.ts).
	*/
	readonly onKeys: (handler: KeyHandler | undefined) => void;
};

function firstPhase(flow: Flow): Phase {
	const values: FormValues = Object.fromEntries((flow.fields ?? []).map(field => [field.id, field.initial ?? (field.kind === 'choice' ? field.options[0]?.value ?? '' : '')]));
	if (flow.pick !== undefined) {
		return {
			step: 'choose', source: 'pick', field: flow.pick.field, question: flow.pick.question, options: flow.pick.options, choice: 0, values,
		};
	}

	return (flow.fields ?? []).length > 0 ? {step: 'form', values, index: 0} : {step: 'planning', values};
}

/**
The form's problem with the values, if any (a required field left empty, a number that is not one).
*/
function formProblem(fields: readonly FlowField[], values: FormValues): string | undefined {
	for (const field of fields) {
		const value = (values[field.id] ?? '').trim();
		if (value === '' && field.kind === 'text' && field.isRequired) {
			return `${field.label} is needed.`;
		}

		if (value !== '' && field.kind === 'text' && field.isNumber && !(Number.isSafeInteger(Number(value)) && Number(value) > 0)) {
			return `${field.label} must be a positive whole number.`;
		}
	}

	return undefined;
}

/**
The binding of the plan screen's keymap (keymap.ts) that a key press is in this part of the screen.
*/
function actionOf(context: PlanContext, input: string, key: Key): string | undefined {
	return findBinding(keymap, context, input, key)?.id;
}

/**
Printable text (a paste arrives as one string), not a control or navigation key.
*/
function isText(input: string, key: Key): boolean {
	return input !== '' && !key.ctrl && !key.meta && !key.escape && !key.return && !key.tab
		&& !key.leftArrow && !key.rightArrow && !key.upArrow && !key.downArrow;
}

/**
A text field after one key: Backspace deletes, printable text is added.
*/
function editText(value: string, input: string, key: Key): string | undefined {
	if (key.backspace || key.delete) {
		return [...value].slice(0, -1).join('');
	}

	return isText(input, key) ? value + sanitize(input) : undefined;
}

/**
A choice field moved one option on (or back, `step` -1), round the list.
*/
function cycleChoice(options: readonly FlowOption[], value: string, step: 1 | -1): string | undefined {
	const position = Math.max(0, options.findIndex(option => option.value === value));
	return options[(position + step + options.length) % options.length]?.value;
}

/**
The keys of this part of the screen, from the keymap (the same words as the help and the footer).
*/
function keysLines(context: PlanContext, width: number, options: {omit?: string[]; also?: string[]; prefix?: string; isBold?: boolean} = {}): Line[] {
	const shown = keymap.filter(binding => binding.when.includes(context)
		&& (binding.footer === true || (options.also ?? []).includes(binding.id))
		&& !(options.omit ?? []).includes(binding.id));
	const text = (options.prefix ?? '') + shown.map(binding => `${bindingKeys(binding)} ${binding.short ?? binding.description.toLowerCase()}`).join(' · ');
	return wrap(text, width, '  ').map(part => ({text: part, bold: options.isBold, dim: !options.isBold}));
}

async function planFor(session: CloudSession, flow: Flow, values: FormValues, signal: AbortSignal): Promise<PlanResult> {
	const request = flow.request(values);
	return request.type === 'restore'
		? planRestore(session, request.request, {signal, inventory: flow.inventory})
		: planBackup(session, request.request, {signal});
}

export function PlanScreen(props: PlanScreenProps) {
	const {session, flow} = props;
	const [phase, setPhase] = useState<Phase>(() => firstPhase(flow));
	// Keys can come several in one read: each must see the phase the key before left.
	const latest = useRef<Phase>(phase);
	const update = (next: Phase) => {
		latest.current = next;
		setPhase(next);
	};

	const controller = useRef<AbortController | undefined>(undefined);
	const planningValues = phase.step === 'planning' ? phase.values : undefined;
	const clock = props.clock ?? systemClock;

	useEffect(() => {
		if (planningValues === undefined) {
			return;
		}

		const abort = new AbortController();
		planFor(session, flow, planningValues, abort.signal)
			.then(result => {
				if (abort.signal.aborted) {
					return;
				}

				if (result.kind === 'plan') {
					update({step: 'preview', plan: result.plan, typed: ''});
				} else if (result.kind === 'refusal') {
					update({step: 'refused', reason: sanitize(result.reason)});
				} else {
					update({
						step: 'choose',
						source: 'core',
						field: result.field,
						question: result.question,
						options: result.options.map(option => ({value: option.value, label: option.label})),
						choice: 0,
						values: planningValues,
					});
				}
			})
			.catch((error: unknown) => {
				if (!abort.signal.aborted) {
					update({step: 'failed-to-plan', reason: message(error)});
				}
			});
		return () => {
			abort.abort();
		};
	}, [planningValues, session, flow]);

	useEffect(() => () => {
		controller.current?.abort();
	}, []);

	// While a run goes on, the clock on screen moves even between events (a long wait polls quietly).
	const [now, setNow] = useState(() => clock.now());
	const isRunning = phase.step === 'running' && !isOver(phase.state);
	useEffect(() => {
		if (!isRunning) {
			return;
		}

		const timer = setInterval(() => {
			setNow(clock.now());
		}, 1000);
		return () => {
			clearInterval(timer);
		};
	}, [isRunning, clock]);

	const run = (plan: Plan, typed: string) => {
		const abort = new AbortController();
		controller.current = abort;
		let state = initialRunState(plan);
		update({
			step: 'running', plan, state, isStopping: false,
		});
		void (async () => {
			try {
				for await (const event of runPlanLocked(plan, session, {
					signal: abort.signal, journal: props.journal, confirmation: typed === '' ? undefined : typed, clock,
				})) {
					state = reducePlan(state, event);
					const {current} = latest;
					update({
						step: 'running', plan, state, isStopping: current.step === 'running' && current.isStopping,
					});
				}
			} catch (error: unknown) {
				update({
					step: 'running', plan, state: {...state, phase: 'failed', error: message(error)}, isStopping: false,
				});
			}
		})();
	};

	const cleanUp = (plan: Plan, state: RunState) => {
		const resources = leftoversOf(state);
		update({
			step: 'cleanup', plan, state, progress: [], isOver: false,
		});
		void (async () => {
			let progress: CleanupProgress[] = [];
			const onEvent = (event: PlanEvent) => {
				if (event.type === 'cleanup-start') {
					progress = [...progress, {resource: event.resource, state: 'running'}];
				} else if (event.type === 'cleanup-done' || event.type === 'cleanup-failed') {
					progress = progress.map(item => item.resource.id === event.resource.id && item.state === 'running'
						? {resource: item.resource, state: event.type === 'cleanup-done' ? 'done' : 'failed', reason: event.type === 'cleanup-failed' ? sanitize(event.reason) : undefined}
						: item);
				}

				update({
					step: 'cleanup', plan, state, progress, isOver: false,
				});
			};

			try {
				if (props.journal === undefined) {
					// No journal to clean up from: remove what the run reported, newest first, the same way core does.
					const cleanup = removeAll(session, resources.map(resource => ({...resource})), {clock, timeoutMs: 15 * 60_000});
					let next = await cleanup.next();
					while (!next.done) {
						onEvent(next.value);
						// eslint-disable-next-line no-await-in-loop
						next = await cleanup.next();
					}
				} else {
					for await (const event of cleanupPlan(props.journal, plan.id, session, {clock})) {
						onEvent(event);
					}
				}

				update({
					step: 'cleanup', plan, state, progress, isOver: true,
				});
			} catch (error: unknown) {
				update({
					step: 'cleanup', plan, state, progress, isOver: true, error: message(error),
				});
			}
		})();
	};

	const keepNote = (plan: Plan, state: RunState): string => {
		const kept = leftoversOf(state).map(resource => `${resource.kind} ${sanitize(resource.name ?? resource.id)}`).join(', ');
		return props.journal === undefined
			? `kept ${kept}: remove it yourself when you no longer need it`
			: `kept ${kept}: backstack journal resume|cleanup ${plan.id}`;
	};

	const onChoose = (current: Choose, input: string, key: Key) => {
		switch (actionOf('choose', input, key)) {
			case 'nav.down': {
				update({...current, choice: Math.min(current.options.length - 1, current.choice + 1)});
				break;
			}

			case 'nav.up': {
				update({...current, choice: Math.max(0, current.choice - 1)});
				break;
			}

			case 'plan.submit': {
				const option = current.options[current.choice];
				if (option !== undefined) {
					const values = {...current.values, [current.field]: option.value};
					update(current.source === 'pick' && (flow.fields ?? []).length > 0 ? {step: 'form', values, index: 0} : {step: 'planning', values});
				}

				break;
			}

			case 'plan.back': {
				props.onClose(false);
				break;
			}

			case undefined:
			default: {
				break;
			}
		}
	};

	const onForm = (current: Extract<Phase, {step: 'form'}>, input: string, key: Key) => {
		const fields = flow.fields ?? [];
		const field = fields[current.index];
		if (field === undefined) {
			return;
		}

		const value = current.values[field.id] ?? '';
		const set = (next: string | undefined) => {
			if (next !== undefined) {
				update({...current, values: {...current.values, [field.id]: next}, error: undefined});
			}
		};

		// In a text field what is typed is text (a space too); the keymap has the rest.
		if (field.kind === 'text' && (isText(input, key) || key.backspace || key.delete)) {
			set(editText(value, input, key));
			return;
		}

		switch (actionOf('form', input, key)) {
			case 'plan.submit': {
				const problem = formProblem(fields, current.values);
				update(problem === undefined ? {step: 'planning', values: current.values} : {...current, error: problem});
				break;
			}

			case 'plan.nextField': {
				update({...current, index: (current.index + 1) % fields.length});
				break;
			}

			case 'plan.previousField': {
				update({...current, index: (current.index + fields.length - 1) % fields.length});
				break;
			}

			case 'plan.nextChoice': {
				set(field.kind === 'choice' ? cycleChoice(field.options, value, 1) : undefined);
				break;
			}

			case 'plan.previousChoice': {
				set(field.kind === 'choice' ? cycleChoice(field.options, value, -1) : undefined);
				break;
			}

			case 'plan.clear': {
				set(field.kind === 'text' ? '' : undefined);
				break;
			}

			case 'plan.back': {
				props.onClose(false);
				break;
			}

			case undefined:
			default: {
				break;
			}
		}
	};

	const onPreview = (current: Extract<Phase, {step: 'preview'}>, input: string, key: Key) => {
		// The typed confirmation of a destructive plan: text goes there.
		if (requiresConfirmation(current.plan) && (isText(input, key) || key.backspace || key.delete)) {
			update({...current, typed: editText(current.typed, input, key) ?? current.typed});
			return;
		}

		switch (actionOf('confirm', input, key)) {
			case 'plan.run': {
				if (isConfirmed(current.plan, current.typed)) {
					run(current.plan, current.typed);
				}

				break;
			}

			case 'plan.clear': {
				update({...current, typed: ''});
				break;
			}

			case 'plan.back': {
				props.onClose(false);
				break;
			}

			case undefined:
			default: {
				break;
			}
		}
	};

	const onRunning = (current: Extract<Phase, {step: 'running'}>, input: string, key: Key) => {
		if (!isOver(current.state)) {
			// Stop safely: the run goes on until the executor has settled and removed its temporaries.
			if (actionOf('run', input, key) === 'plan.stop') {
				controller.current?.abort();
				update({...current, isStopping: true});
			}

			return;
		}

		if (leftoversOf(current.state).length > 0) {
			const action = actionOf('offer', input, key);
			if (action === 'plan.cleanup') {
				cleanUp(current.plan, current.state);
			} else if (action === 'plan.keep') {
				update({step: 'kept', plan: current.plan, state: current.state});
				props.onClose(true, keepNote(current.plan, current.state));
			}
		} else if (actionOf('over', input, key) === 'plan.close') {
			const results = Object.entries(current.state.results ?? {}).map(([name, value]) => `${name} ${sanitize(String(value))}`).join(', ');
			const note = current.state.phase === 'done' ? `done: ${sanitize(flow.title)}${results === '' ? '' : ` → ${results}`}` : undefined;
			props.onClose(current.state.created.length > 0 || current.state.phase === 'done', note);
		}
	};

	const onCleanup = (current: Extract<Phase, {step: 'cleanup'}>, input: string, key: Key) => {
		if (!current.isOver || actionOf('over', input, key) !== 'plan.close') {
			return;
		}

		const isComplete = current.error === undefined && current.progress.every(item => item.state === 'done');
		props.onClose(true, isComplete
			? `cleaned up ${current.progress.length} resource(s) of plan ${current.plan.id}`
			: `cleanup incomplete: backstack journal cleanup ${current.plan.id}`);
	};

	const onKey = (input: string, key: Key) => {
		const {current} = latest;
		switch (current.step) {
			case 'choose': {
				onChoose(current, input, key);
				break;
			}

			case 'form': {
				onForm(current, input, key);
				break;
			}

			case 'preview': {
				onPreview(current, input, key);
				break;
			}

			case 'running': {
				onRunning(current, input, key);
				break;
			}

			case 'cleanup': {
				onCleanup(current, input, key);
				break;
			}

			case 'planning':
			case 'refused':
			case 'failed-to-plan':
			case 'kept': {
				if (actionOf('wait', input, key) === 'plan.back') {
					props.onClose(false);
				}

				break;
			}
		}
	};

	const {onKeys} = props;
	useLayoutEffect(() => {
		onKeys(onKey);
	});
	useLayoutEffect(() => () => {
		onKeys(undefined);
	}, [onKeys]);

	const lines = screenLines(phase, flow, {width: props.width, height: props.height, now});
	const visible = lines.slice(Math.max(0, lines.length - props.height));
	return (
		<Box flexDirection='column' height={props.height}>
			{visible.map((line, index) => (
				// eslint-disable-next-line react/no-array-index-key
				<Text key={index} wrap='truncate-end' bold={line.bold} dimColor={line.dim} color={paint(props.theme, line.color)}>
					{line.text === '' ? ' ' : truncate(line.text, props.width)}
				</Text>
			))}
		</Box>
	);
}

type Line = {text: string; color?: string; bold?: boolean; dim?: boolean};

function previewLines(plan: Plan, typed: string, width: number): Line[] {
	const preview = describePlan(plan);
	const lines: Line[] = [{text: `Plan: ${sanitize(preview.title)}`, bold: true}];
	for (const row of preview.rows) {
		lines.push({text: `${row.number}. [${row.danger}] ${sanitize(row.title)}`, color: dangerColors[row.danger], bold: row.danger === 'destroy'});
		for (const text of wrap(`   ${sanitize(row.action)}`, width, ' '.repeat(5))) {
			lines.push({text, dim: true});
		}

		if (row.wait !== undefined) {
			lines.push({text: `   ${sanitize(row.wait)}`, dim: true});
		}

		if (row.note !== undefined && row.note !== '') {
			lines.push(...wrap(`   note: ${sanitize(row.note)}`, width, ' '.repeat(5)).map(text => ({text, color: 'yellow'})));
		}
	}

	for (const warning of preview.warnings) {
		lines.push(...wrap(`▲ ${sanitize(warning)}`, width, '  ').map(text => ({text, color: 'yellow'})));
	}

	lines.push({text: ''});
	if (preview.confirmation === undefined && !requiresConfirmation(plan)) {
		lines.push(...keysLines('confirm', width, {omit: ['plan.clear'], isBold: true}));
	} else if (preview.confirmation === undefined) {
		lines.push({text: 'This plan destroys data and has no confirmation text: it cannot run here.', color: 'red'});
	} else {
		lines.push(
			...wrap(sanitize(preview.confirmation.reason), width).map(text => ({text, color: 'red'})),
			{text: `Type ${sanitize(preview.confirmation.text)} to confirm, then Enter`, bold: true},
			{text: `> ${typed}█`},
			...keysLines('confirm', width),
		);
	}

	return lines;
}

/**
Bytes so far of a transfer, with its total, rate and time left where known.
*/
function transferText(step: RunState['steps'][number]): string | undefined {
	if (step.bytes === undefined) {
		return undefined;
	}

	const total = step.bytes.total === undefined ? '' : ` of ${bytes(step.bytes.total)}`;
	const rate = step.bytes.rate === undefined ? '' : `, ${bytes(step.bytes.rate)}/s`;
	const eta = step.etaSeconds === undefined ? '' : `, ~${step.etaSeconds} s left`;
	return `${bytes(step.bytes.transferred)}${total}${rate}${eta}`;
}

/**
The run's state with the elapsed times of what is still running moved on to `now` (only forward).
*/
function advanced(state: RunState, now: number): RunState {
	if (isOver(state) || state.startedAt === undefined || now <= (state.now ?? 0)) {
		return state;
	}

	return {
		...state,
		elapsedMs: now - state.startedAt,
		steps: state.steps.map(step => step.state === 'running' && step.startedAt !== undefined ? {...step, elapsedMs: now - step.startedAt} : step),
	};
}

function stepLines(state: RunState, width: number): Line[] {
	const lines: Line[] = [];
	for (const step of state.steps) {
		const style = stateSymbols[step.state];
		const details = [
			step.status === undefined ? undefined : `status ${sanitize(step.status)}`,
			transferText(step),
			step.state === 'pending' || step.state === 'skipped' ? undefined : `${Math.round(step.elapsedMs / 1000)} s`,
		].filter(part => part !== undefined);
		lines.push({text: `${style.symbol} ${sanitize(step.title)}`, color: style.color});
		if (details.length > 0) {
			lines.push({text: `   ${details.join(' · ')}`, dim: step.state !== 'running'});
		}

		if (step.error !== undefined) {
			lines.push(...wrap(`   ${sanitize(step.error)}`, width, ' '.repeat(3)).map(text => ({text, color: 'red'})));
		}
	}

	const created = state.created.filter(item => !item.removed && !item.temporary);
	lines.push(...created.map(resource => ({text: `+ created ${resourceText(resource)}`, color: 'cyan'})));

	for (const failure of state.checkFailures) {
		lines.push(...wrap(`✖ check failed: ${sanitize(failure.reason)}`, width, ' '.repeat(3)).map(text => ({text, color: 'red'})));
	}

	for (const item of state.cleanup) {
		const verbs = {running: '◷ removing', done: '✔ removed', failed: '✖ could not remove'} as const;
		lines.push({text: `${verbs[item.state]} temporary ${resourceText(item.resource)}`, dim: item.state === 'done'});
	}

	return lines;
}

function runningLines(state: RunState, isStopping: boolean, width: number): Line[] {
	const title = isStopping && !isOver(state) ? 'stopping (waiting for the call in flight, removing temporaries)…' : state.phase;
	const errors = state.error === undefined ? [] : wrap(`✖ ${sanitize(state.error)}`, width, '  ').map(text => ({text, color: 'red'}));
	const lines: Line[] = [{text: `Running: ${title} · ${Math.round(state.elapsedMs / 1000)} s`, bold: true}, ...stepLines(state, width), ...errors];

	const results = Object.entries(state.results ?? {}).map(([key, value]) => `${key} ${sanitize(String(value))}`);
	if (results.length > 0) {
		lines.push(...wrap(`Result: ${results.join('  ')}`, width, '  ').map(text => ({text, color: 'green'})));
	}

	if (state.phase === 'done' && state.offered.length > 0) {
		const temporaries = state.offered.map(resource => resourceText(resource)).join(', ');
		lines.push(...wrap(`▲ could not remove the temporary ${temporaries}: delete it by hand`, width, '  ').map(text => ({text, color: 'yellow'})));
	}

	const leftovers = leftoversOf(state);
	if (leftovers.length > 0) {
		lines.push(
			{text: ''},
			{text: `The plan ${state.phase === 'cancelled' ? 'was stopped' : 'failed'} and left ${leftovers.length} resource(s) it created:`, bold: true},
			...leftovers.map(resource => ({text: `  • ${resourceText(resource)}`, color: 'yellow'})),
			...keysLines('offer', width, {isBold: true}),
		);
		return lines;
	}

	let hint = keysLines('run', width);
	if (isOver(state)) {
		hint = keysLines('over', width, {isBold: true});
	} else if (isStopping) {
		hint = [{text: 'stopping…', dim: true}];
	}

	lines.push({text: ''}, ...hint);
	return lines;
}

function cleanupLines(phase: Extract<Phase, {step: 'cleanup'}>, width: number): Line[] {
	const lines: Line[] = [{text: `Cleaning up plan ${phase.plan.id}${phase.isOver ? ': finished' : '…'}`, bold: true}];
	for (const item of phase.progress) {
		let text = `◷ deleting ${resourceText(item.resource)}`;
		if (item.state === 'done') {
			text = `✔ deleted ${resourceText(item.resource)}`;
		} else if (item.state === 'failed') {
			text = `✖ could not delete ${resourceText(item.resource)}: ${item.reason ?? ''}`;
		}

		lines.push(...wrap(text, width, '  ').map(part => ({text: part, color: stateSymbols[item.state === 'running' ? 'running' : (item.state === 'done' ? 'done' : 'failed')].color})));
	}

	if (phase.error !== undefined) {
		lines.push(...wrap(`✖ ${phase.error}`, width, '  ').map(text => ({text, color: 'red'})));
	}

	lines.push({text: ''}, ...(phase.isOver ? keysLines('over', width, {isBold: true}) : [{text: 'deleting… (each one is waited for until it is gone)', dim: true}]));
	return lines;
}

function formLines(flow: Flow, phase: Extract<Phase, {step: 'form'}>, width: number): Line[] {
	const fields = flow.fields ?? [];
	const labelWidth = Math.min(20, Math.max(...fields.map(field => field.label.length)) + 1);
	const lines: Line[] = [{text: sanitize(flow.title), bold: true}, {text: ''}];
	for (const [index, field] of fields.entries()) {
		const isCurrent = index === phase.index;
		const value = phase.values[field.id] ?? '';
		let shown = value;
		if (field.kind === 'choice') {
			const label = field.options.find(option => option.value === value)?.label ?? value;
			shown = isCurrent ? `‹ ${label} ›` : label;
		} else if (isCurrent) {
			shown = `${value}█`;
		}

		const optional = field.kind === 'text' && !field.isRequired ? ' (optional)' : '';
		lines.push({text: `${isCurrent ? '›' : ' '} ${(field.label + optional).padEnd(labelWidth + 11)} ${shown}`, bold: isCurrent});
		if (isCurrent && field.hint !== undefined) {
			lines.push(...wrap(`    ${sanitize(field.hint)}`, width, ' '.repeat(4)).map(text => ({text, dim: true})));
		}
	}

	lines.push({text: ''});
	if (phase.error !== undefined) {
		lines.push({text: phase.error, color: 'red'});
	}

	lines.push(...keysLines('form', width, {prefix: 'type to edit · '}));
	return lines.flatMap(line => line.text.length > width ? wrap(line.text, width, '  ').map(text => ({...line, text})) : [line]);
}

function chooseLines(phase: Choose, flow: Flow, width: number, height: number): Line[] {
	const head: Line[] = [
		{text: sanitize(flow.title), bold: true},
		...wrap(sanitize(phase.question), width).map(text => ({text, bold: true})),
		{text: ''},
	];
	const room = Math.max(3, height - head.length - 2);
	const start = Math.max(0, Math.min(phase.choice - Math.floor(room / 2), phase.options.length - room));
	const shown = phase.options.slice(start, start + room).map((option, index) => ({
		text: `${start + index === phase.choice ? '›' : ' '} ${sanitize(option.label)}`,
		bold: start + index === phase.choice,
	}));
	return [...head, ...shown, {text: ''}, ...keysLines('choose', width, {also: ['nav.up'], prefix: `${phase.choice + 1}/${phase.options.length} · `})];
}

function screenLines(phase: Phase, flow: Flow, size: {width: number; height: number; now: number}): Line[] {
	const {width, height} = size;
	switch (phase.step) {
		case 'choose': {
			return chooseLines(phase, flow, width, height);
		}

		case 'form': {
			return formLines(flow, phase, width);
		}

		case 'planning': {
			return [{text: sanitize(flow.title), bold: true}, {text: 'Planning… (reading the cloud; nothing changes)'}];
		}

		case 'refused': {
			return [
				{text: `${sanitize(flow.title)}: not possible as it is`, bold: true},
				...wrap(phase.reason, width).map(text => ({text, color: 'red'})),
				{text: ''},
				...keysLines('wait', width),
			];
		}

		case 'failed-to-plan': {
			return [{text: 'Planning failed:', bold: true}, ...wrap(phase.reason, width).map(text => ({text, color: 'red'})), {text: ''}, ...keysLines('wait', width)];
		}

		case 'preview': {
			return previewLines(phase.plan, phase.typed, width);
		}

		case 'running': {
			return runningLines(advanced(phase.state, size.now), phase.isStopping, width);
		}

		case 'cleanup': {
			return cleanupLines(phase, width);
		}

		case 'kept': {
			return [{text: 'Kept.'}];
		}
	}
}
