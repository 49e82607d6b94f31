/*
A titled block of pre-sanitised lines with a scroll position: the help, the raw JSON, the detail pane.
*/
import {Box, Text} from 'ink';
import {fit, truncate} from '../sanitize.js';

export type Line = {text: string; color?: string; bold?: boolean; dim?: boolean};

export type ScrollTextProps = {
	readonly title: string;
	readonly lines: ReadonlyArray<string | Line>;
	readonly offset: number;
	readonly height: number;
	readonly width: number;
	readonly hasColor?: boolean;
};

export function ScrollText(props: ScrollTextProps) {
	const room = Math.max(1, props.height - 1);
	const visible = props.lines.slice(props.offset, props.offset + room);
	const more = props.lines.length > props.offset + room ? ` ↓ ${props.lines.length - props.offset - room} more` : '';
	return (
		<Box flexDirection='column' height={props.height}>
			<Text bold wrap='truncate-end'>{fit(`${props.title}${more}`, props.width)}</Text>
			{visible.map((line, index) => {
				const entry = typeof line === 'string' ? {text: line} : line;
				return (
					// eslint-disable-next-line react/no-array-index-key
					<Text key={props.offset + index} wrap='truncate-end' bold={entry.bold} dimColor={entry.dim} color={props.hasColor === false ? undefined : entry.color}>
						{entry.text === '' ? ' ' : truncate(entry.text, props.width)}
					</Text>
				);
			})}
		</Box>
	);
}
