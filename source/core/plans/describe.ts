/*
The preview reader: what a plan will create, change and destroy, before it runs.
*/
import {describeCheck} from './checks.js';
import {dangerOf, operationOf} from './operations/index.js';
import {describeRef, isRef} from './refs.js';
import {hasText, type Show} from './text.js';
import type {
	Action,
	Confirmation,
	Danger,
	Plan,
	Step,
} from './types.js';

export type PreviewRow = {
	/**
	1-based, as the user reads it.
	*/
	number: number;
	stepId: string;
	title: string;
	danger: Danger;
	/**
	One line: the call, with refs as "<volume from step 2>".
	*/
	action: string;
	checks: string[];
	/**
	"waits until available (fails on error, error_restoring)".
	*/
	wait?: string;
	/**
	What happens to what the step creates.
	*/
	creates?: string;
	note?: string;
};

export type Preview = {
	title: string;
	rows: PreviewRow[];
	warnings: string[];
	confirmation?: Confirmation;
	counts: Record<Danger, number>;
};

/**
One line for an action; `show` renders values (refs in previews, resolved values while running).
*/
export function describeAction(action: Action, show: Show): string {
	return operationOf(action).describe(action.args, show);
}

function describeWait(step: Step, show: Show): string | undefined {
	if (!step.wait) {
		return undefined;
	}

	const failOn = step.wait.failOn.length > 0 ? ` (fails on ${step.wait.failOn.join(', ')})` : '';
	return `waits until ${step.wait.resource} ${show(step.wait.id)} is ${step.wait.until.join(' or ')}${failOn}`;
}

export function describePlan(plan: Plan): Preview {
	const show: Show = value => {
		if (value === undefined) {
			return '?';
		}

		return isRef(value) ? describeRef(value, plan) : String(value);
	};

	const counts: Record<Danger, number> = {
		read: 0, create: 0, mutate: 0, destroy: 0,
	};
	// Temporaries a later step removes as soon as nothing needs them (plan.removeTemporaries), by the step that made them.
	const releasedBy = new Map(plan.steps.flatMap((step, index) => step.action.op === 'plan.removeTemporaries' ? step.action.args.steps.map(id => [id, index + 1] as const) : []));
	const removal = (step: Step) => {
		const at = releasedBy.get(step.id);
		return at === undefined ? ', removed at the end even on failure or cancel' : `, removed by step ${at} (or at the end on failure or cancel)`;
	};

	const rows = plan.steps.map((step, index): PreviewRow => {
		const danger = dangerOf(step, plan);
		counts[danger]++;
		const creates = step.creates
			? [
				step.creates.temporary ? 'temporary ' : '',
				step.creates.kind,
				hasText(step.creates.name) ? ` "${step.creates.name}"` : '',
				step.creates.temporary ? removal(step) : ', kept',
			].join('')
			: undefined;
		return {
			number: index + 1,
			stepId: step.id,
			title: step.title,
			danger,
			action: describeAction(step.action, show),
			checks: step.checks.map(check => describeCheck(check)),
			wait: describeWait(step, show),
			creates,
			note: step.note,
		};
	});
	return {
		title: plan.title, rows, warnings: plan.warnings, confirmation: plan.confirmation, counts,
	};
}

const dangerMarks: Record<Danger, string> = {
	read: '  ', create: '+ ', mutate: '~ ', destroy: '! ',
};

/**
The preview as plain text (for `--dry-run` and logs).
*/
export function formatPreview(preview: Preview): string {
	const lines = [preview.title, ''];
	for (const warning of preview.warnings) {
		lines.push(`WARNING: ${warning}`);
	}

	if (preview.warnings.length > 0) {
		lines.push('');
	}

	for (const row of preview.rows) {
		lines.push(`${dangerMarks[row.danger]}${row.number}. [${row.danger}] ${row.title}`, `     ${row.action}`);
		for (const check of row.checks) {
			lines.push(`     check: ${check}`);
		}

		if (hasText(row.wait)) {
			lines.push(`     ${row.wait}`);
		}

		if (hasText(row.creates)) {
			lines.push(`     creates: ${row.creates}`);
		}

		if (hasText(row.note)) {
			lines.push(`     note: ${row.note}`);
		}
	}

	if (preview.confirmation) {
		lines.push('', `DESTRUCTIVE: ${preview.confirmation.reason}`, `To run it, type the name: ${preview.confirmation.text}`);
	}

	return lines.join('\n');
}

/**
The text the user must type before a destructive plan runs, or undefined when none is needed.
*/
export function confirmationFor(plan: Plan): Confirmation | undefined {
	return plan.confirmation;
}

export function requiresConfirmation(plan: Plan): boolean {
	return plan.confirmation !== undefined || plan.steps.some(step => dangerOf(step, plan) === 'destroy');
}

/**
True when `typed` allows the plan to run. A destroy step without a confirmation never runs.
*/
export function isConfirmed(plan: Plan, typed: string | undefined): boolean {
	return requiresConfirmation(plan) ? plan.confirmation !== undefined && typed !== undefined && typed === plan.confirmation.text : true;
}
