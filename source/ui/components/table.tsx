/*
A virtualised table: however many rows there are, only the `height` visible ones become Ink elements, so 10,000 volumes
scroll as fast as ten. Each line is pre-cut to the terminal width, so a long name can never wrap and break the layout.
*/
import {memo} from 'react';
import {Box, Text} from 'ink';
import {displayWidth, fit} from '../sanitize.js';
import {paint, type Theme} from '../theme.js';
import {layoutColumns, type Column, type Row} from '../views.js';

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
	const layout = layoutColumns(props.columns, props.width - 1);
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

const TableRow = memo((props: RowProps) => {
	const parts = props.layout.map(({column, index, width}, position) => ({
		text: fit(props.row.cells[index] ?? '', width, column.align) + (position < props.layout.length - 1 ? ' ' : ''),
		color: props.row.styles?.[index]?.color,
	}));
	const used = parts.reduce((sum, part) => sum + displayWidth(part.text), 0);
	const tail = used + 1 < props.width ? ' '.repeat(props.width - used - 1) : '';
	return (
		<Text wrap='truncate-end' inverse={props.isSelected}>
			{props.isSelected ? '›' : ' '}
			{parts.map((part, position) => (
				// eslint-disable-next-line react/no-array-index-key
				<Text key={position} color={props.isSelected ? undefined : paint(props.theme, part.color)}>{part.text}</Text>
			))}
			{tail}
		</Text>
	);
});
