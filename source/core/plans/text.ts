/*
Small text helpers the plan readers share (previews and the operations' one-line descriptions).
*/
import type {Value} from './types.js';

/**
Renders a value of a step: refs as "<volume from step 2>" in previews, resolved values while a plan runs.
*/
export type Show = (value: Value<string | number> | undefined) => string;

/**
A string that says something (neither undefined nor empty).
*/
export function hasText(value: string | undefined): value is string {
	return value !== undefined && value !== '';
}

export function quote(value: string): string {
	return `"${value}"`;
}
