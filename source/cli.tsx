#!/usr/bin/env node
console.log('backstack: under construction');
