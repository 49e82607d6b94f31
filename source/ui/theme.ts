/*
Colours and symbols. Every state has a symbol, so the screen still reads with NO_COLOR (or on a monochrome terminal);
colour only repeats what the symbol says.
*/
import type {Restorability, Severity} from '../core/model.js';
import type {KeyState, Protection} from './analysis.js';

export type Theme = {
	/**
	False with NO_COLOR or theme 'none': no colour attribute is ever set.
	*/
	color: boolean;
	/**
	Text colour of the selection bar (inverse is used when colour is off).
	*/
	accent: string;
};

export function makeTheme(options: {env: Record<string, string | undefined>; theme?: 'auto' | 'dark' | 'light' | 'none'}): Theme {
	const isNoColor = options.env['NO_COLOR'] !== undefined && options.env['NO_COLOR'] !== '';
	const isColor = !isNoColor && options.theme !== 'none';
	return {color: isColor, accent: options.theme === 'light' ? 'blue' : 'cyan'};
}

export const protectionStyle: Record<Protection, {symbol: string; label: string; color: string}> = {
	verified: {symbol: '✔', label: 'verified', color: 'green'},
	protected: {symbol: '✔', label: 'protected', color: 'green'},
	stale: {symbol: '◷', label: 'stale', color: 'yellow'},
	unprotected: {symbol: '✖', label: 'unprotected', color: 'red'},
	'snapshot-only': {symbol: '◌', label: 'snap-only', color: 'yellow'},
	error: {symbol: '!', label: 'error', color: 'red'},
	unknown: {symbol: '?', label: 'unknown', color: 'magenta'},
	'n/a': {symbol: '·', label: 'n/a', color: 'gray'},
};

/**
A backup's first column: whether it would restore (the word a person under stress reads first).
*/
export const restorabilityStyle: Record<Restorability, {symbol: string; label: string; color: string}> = {
	verified: {symbol: '✔', label: 'verified', color: 'green'},
	restorable: {symbol: '✔', label: 'restorable', color: 'green'},
	'not-available': {symbol: '◷', label: 'not ready', color: 'yellow'},
	'chain-broken': {symbol: '✖', label: 'chain broken', color: 'red'},
	'key-gone': {symbol: '✖', label: 'key gone', color: 'red'},
	'type-unknown': {symbol: '?', label: 'type unknown', color: 'yellow'},
	'type-gone': {symbol: '✖', label: 'type gone', color: 'red'},
	'drill-failed': {symbol: '✖', label: 'drill failed', color: 'red'},
};

export const severityStyle: Record<Severity, {symbol: string; label: string; color: string}> = {
	critical: {symbol: '✖', label: 'CRIT', color: 'red'},
	warning: {symbol: '▲', label: 'WARN', color: 'yellow'},
	info: {symbol: 'i', label: 'INFO', color: 'blue'},
	ok: {symbol: '✔', label: 'OK', color: 'green'},
};

export const keyStateStyle: Record<KeyState, {symbol: string; label: string; color: string}> = {
	present: {symbol: '⚿', label: 'key ok', color: 'green'},
	missing: {symbol: '✖', label: 'key MISSING', color: 'red'},
	unknown: {symbol: '?', label: 'key ?', color: 'magenta'},
	none: {symbol: ' ', label: '', color: 'gray'},
};

/**
Colour for Ink's `color` prop, or undefined when colour is off.
*/
export function paint(theme: Theme, color: string | undefined): string | undefined {
	return theme.color ? color : undefined;
}
