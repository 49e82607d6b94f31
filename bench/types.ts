/*
What a bench suite hands back to run.ts: its figures, each with an optional target and a peer's figure. In a module of
its own so that the suites (audit.ts, tui.ts) and run.ts, which loads them, do not import one another in a circle.
*/
export type BenchFigure = {
	name: string;
	value: number;
	unit: string;
	/**
	A bound the value must keep: an upper one, or a lower one when `higherIsBetter`.
	*/
	target?: number;
	/**
	Lower is better unless this is set (a throughput): then the ratio is value / peer and the target a floor.
	*/
	higherIsBetter?: boolean;
	/**
	A peer's figure for the same work, for a ratio.
	*/
	peer?: {name: string; value: number};
};

export type BenchResult = {
	title: string;
	figures: BenchFigure[];
	notes?: string[];
};
