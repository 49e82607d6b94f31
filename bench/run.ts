/*
`npm run bench`: prints figures and ratios against a peer run side by side. Targets are checked here and printed as
met / missed; they are never timed tests.
*/
import process from 'node:process';

export type BenchFigure = {
	name: string;
	value: number;
	unit: string;
	/** Lower is better unless said otherwise. */
	target?: number;
	/** A peer's figure for the same work, for a ratio. */
	peer?: {name: string; value: number};
};

export type BenchResult = {
	title: string;
	figures: BenchFigure[];
	notes?: string[];
};

function format(value: number, unit: string): string {
	return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
}

function print(result: BenchResult): boolean {
	let met = true;
	console.log(`\n## ${result.title}`);
	for (const figure of result.figures) {
		let line = `  ${figure.name.padEnd(44)} ${format(figure.value, figure.unit).padStart(14)}`;
		if (figure.peer) {
			const ratio = figure.peer.value / figure.value;
			line += `   ${figure.peer.name}: ${format(figure.peer.value, figure.unit)} (${ratio.toFixed(1)}× ${ratio >= 1 ? 'faster' : 'slower'})`;
		}

		if (figure.target !== undefined) {
			const ok = figure.value <= figure.target;
			met &&= ok;
			line += `   target ≤ ${format(figure.target, figure.unit)}: ${ok ? 'met' : 'MISSED'}`;
		}

		console.log(line);
	}

	for (const note of result.notes ?? []) {
		console.log(`  note: ${note}`);
	}

	return met;
}

const only = new Set(process.argv.slice(2));
const suites: Array<[string, () => Promise<BenchResult>]> = [
	['audit', async () => (await import('./audit.js')).benchAudit()],
	['tui', async () => (await import('./tui.js')).benchTui()],
];

let allMet = true;
for (const [name, run] of suites) {
	if (only.size > 0 && !only.has(name)) {
		continue;
	}

	try {
		allMet = print(await run()) && allMet;
	} catch (error: unknown) {
		allMet = false;
		console.log(`\n## ${name}: failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
	}
}

console.log(`\n${allMet ? 'All targets met.' : 'Some targets missed (see above).'}`);
