/*
A virtualised table: however many rows there are, only the `height` visible ones become Ink elements, so 10,000 volumes
scroll as fast as ten. Each line is pre-cut to the terminal width, so a long name can never wrap and break the layout.
*/
import {memo, useMemo} from 'react';
import {Box, Text} from 'ink';
import {displayWidth, fit} from '../sanitize.js';
import {paint, type Theme} from '../theme.js';
import {layoutColumns, type Column, type Row} from '../views/index.js';

export type TableProps = {
	readonly columns: readonly Column[];
	readonly rows: readonly Row[];
	readonly selected: number;
	readonly offset: number;
	readonly height: number;
	readonly width: number;
	readonly sortColumn: number;
	readonly isDescending: boolean;
	readonly theme: Theme;
	/**
	Shown instead of rows when there are none.
	*/
	readonly empty: string;
};

export function Table(props: TableProps) {
	// One layout object per width and column set, so that unchanged rows skip rendering (memo).
	const layout = useMemo(() => layoutColumns(props.columns, props.width - 1), [props.columns, props.width]);
	const header = layout.map(({column, index, width}) => {
		const arrow = index === props.sortColumn ? (props.isDescending ? '▼' : '▲') : '';
		return fit(column.title + arrow, width, column.align);
	}).join(' ');
	const visible = props.rows.slice(props.offset, props.offset + props.height);
	return (
		<Box flexDirection='column' height={props.height + 1}>
			<Text bold wrap='truncate-end'>{fit(` ${header}`, props.width)}</Text>
			{visible.length === 0
				? <Text dimColor>{fit(props.empty, props.width)}</Text>
				: visible.map((row, position) => {
					const isSelected = props.offset + position === props.selected;
					return (
						<TableRow
							key={row.key}
							row={row}
							layout={layout}
							isSelected={isSelected}
							theme={props.theme}
							width={props.width}
						/>
					);
				})}
		</Box>
	);
}

type RowProps = {
	readonly row: Row;
	readonly layout: ReturnType<typeof layoutColumns>;
	readonly isSelected: boolean;
	readonly theme: Theme;
	readonly width: number;
};

/**
A row's text in runs of one colour each: uncoloured neighbours merge, so a row is a handful of Ink nodes.
*/
function rowRuns({row, layout, isSelected, theme}: RowProps): Array<{text: string; color?: string}> {
	const runs: Array<{text: string; color?: string}> = [{text: isSelected ? '›' : ' '}];
	for (const [position, {column, index, width}] of layout.entries()) {
		const text = fit(row.cells[index] ?? '', width, column.align) + (position < layout.length - 1 ? ' ' : '');
		const color = isSelected ? undefined : paint(theme, row.styles?.[index]?.color);
		const last = runs.at(-1);
		if (last !== undefined && last.color === color) {
			last.text += text;
		} else {
			runs.push({text, color});
		}
	}

	return runs;
}

const TableRow = memo((props: RowProps) => {
	const runs = rowRuns({
		row: props.row, layout: props.layout, isSelected: props.isSelected, theme: props.theme, width: props.width,
	});
	const used = runs.reduce((sum, run) => sum + displayWidth(run.text), 0);
	const tail = used < props.width ? ' '.repeat(props.width - used) : '';
	return (
		<Text wrap='truncate-end' inverse={props.isSelected}>
			{runs.map((run, position) => (
				run.color === undefined
					? run.text
					// eslint-disable-next-line react/no-array-index-key
					: <Text key={position} color={run.color}>{run.text}</Text>
			))}
			{tail}
		</Text>
	);
});
