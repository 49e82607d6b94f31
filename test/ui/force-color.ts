/*
Imported first by tests that look at colour: chalk decides once, when Ink loads it, whether to colour at all, and a test
worker's stdout is no terminal. With colour forced, a test can tell "no colour because of NO_COLOR" from "no colour anyway".
*/
import process from 'node:process';

process.env['FORCE_COLOR'] = '3';
