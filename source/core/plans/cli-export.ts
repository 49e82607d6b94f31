/*
The runbook reader: a plan as a commented bash script of `openstack` commands, with waits that stop on failure
statuses and a trap that removes temporary resources.
*/
import {describeCheck} from './checks.js';
import {dangerOf, operationOf} from './operations/index.js';
import {
	removalCommands,
	shellQuote,
	variableFor,
	word,
} from './shell.js';
import type {
	Action,
	Plan,
	Step,
	WaitResource,
} from './types.js';

const showCommand: Record<WaitResource, string> = {
	volume: 'openstack volume show',
	backup: 'openstack volume backup show',
	snapshot: 'openstack volume snapshot show',
	image: 'openstack image show',
	server: 'openstack server show',
};

function commandFor(step: Step, action: Action, plan: Plan): string[] {
	return operationOf(action).exportCli({step, args: action.args, plan});
}

function waitLines(step: Step): string[] {
	if (!step.wait) {
		return [];
	}

	const {wait} = step;
	const id = word(wait.id);
	const done = wait.until.map(status => `[ "$status" = ${shellQuote(status)} ]`).join(' || ');
	const minutes = Math.round(wait.timeoutMs / 60_000);
	return [
		`# Wait until ${wait.resource} is ${wait.until.join(' or ')}; stop at once on ${wait.failOn.length > 0 ? wait.failOn.join(', ') : '(none)'}; give up after ${minutes} min.`,
		`deadline=$((SECONDS + ${Math.round(wait.timeoutMs / 1000)}))`,
		`until status="$(${showCommand[wait.resource]} ${id} -c status -f value)" && { ${done}; }; do`,
		...(wait.failOn.length > 0
			? [`\tcase "$status" in ${wait.failOn.map(status => shellQuote(status)).join('|')}) `
				+ `echo "${wait.resource} ${id.replaceAll('"', '')} is $status" >&2; exit 1;; esac`]
			: []),
		`\tif [ "$SECONDS" -ge "$deadline" ]; then echo "${wait.resource} ${id.replaceAll('"', '')} is still $status after ${minutes} min" >&2; exit 1; fi`,
		'\tsleep 5',
		'done',
	];
}

/**
The plan as a bash script for runbooks.
*/
export function toOpenstackCli(plan: Plan): string {
	const lines = [
		'#!/usr/bin/env bash',
		`# ${plan.title}`,
		`# Exported by backstack from plan ${plan.id}. Read it before you run it; it needs OS_CLOUD (or OS_* variables) set.`,
	];
	for (const warning of plan.warnings) {
		lines.push(`# WARNING: ${warning}`);
	}

	lines.push('set -euo pipefail', '');
	if (plan.confirmation) {
		lines.push(
			`# DESTRUCTIVE: ${plan.confirmation.reason}`,
			`read -r -p ${shellQuote(`Type ${plan.confirmation.text} to continue: `)} answer`,
			`[ "$answer" = ${shellQuote(plan.confirmation.text)} ] || { echo 'Not confirmed; nothing was changed.' >&2; exit 1; }`,
			'',
		);
	}

	const temporaries = plan.steps.filter(step => step.creates?.temporary);
	// A temporary the script could not remove would be left behind without a word: refuse to write such a script.
	const unremovable = temporaries.find(step => removalCommands[step.creates!.kind] === undefined);
	if (unremovable !== undefined) {
		throw new Error(`The runbook cannot remove a temporary ${unremovable.creates!.kind} (step ${unremovable.id}): no openstack command for it is known.`);
	}

	if (temporaries.length > 0) {
		lines.push(
			'# Temporary resources are removed when the script ends, also after a failure or Ctrl-C (newest first).',
			'temporaries=()',
			'cleanup() {',
			'\tlocal i kind id',
			// eslint-disable-next-line no-template-curly-in-string -- bash, not a template.
			'\tfor ((i = ${#temporaries[@]} - 1; i >= 0; i--)); do',
			// eslint-disable-next-line no-template-curly-in-string -- bash, not a template.
			'\t\tkind="${temporaries[i]%% *}"; id="${temporaries[i]#* }"',
			'\t\tcase "$kind" in',
		);
		// Only the kinds this plan makes temporaries of.
		const kinds = new Set<string>(temporaries.map(step => step.creates!.kind));
		for (const [kind, commands] of Object.entries(removalCommands)) {
			if (!kinds.has(kind)) {
				continue;
			}

			lines.push(
				`\t\t\t${kind}) ${commands!.remove} "$id" || true`,
				`\t\t\t\twhile ${commands!.show} "$id" >/dev/null 2>&1; do sleep 5; done ;;`,
			);
		}

		lines.push('\t\tesac', '\tdone', '}', 'trap cleanup EXIT', '');
	}

	if (plan.concurrency !== undefined && plan.concurrency > 1) {
		lines.push(`# backstack runs up to ${plan.concurrency} of these steps at a time; this script runs them one after the other.`, '');
	}

	for (const [index, step] of plan.steps.entries()) {
		lines.push(`# Step ${index + 1} [${dangerOf(step, plan)}]: ${step.title}`);
		for (const check of step.checks) {
			lines.push(`#   precondition: ${describeCheck(check)}`);
		}

		if (step.note !== undefined) {
			lines.push(`#   ${step.note}`);
		}

		lines.push(...commandFor(step, step.action, plan));
		if (step.creates?.temporary) {
			lines.push(`temporaries+=("${step.creates.kind} $${variableFor({$ref: step.id, output: step.creates.output})}")`);
		}

		lines.push(...waitLines(step), '');
	}

	const assigned = new Set(lines.map(line => /^\s*(?<name>\w+)="/v.exec(line)?.groups?.['name']).filter(name => name !== undefined));
	for (const [label, reference] of Object.entries(plan.results ?? {})) {
		if (assigned.has(variableFor(reference))) {
			lines.push(`echo "${label}: $${variableFor(reference)}"`);
		}
	}

	return lines.join('\n') + '\n';
}
