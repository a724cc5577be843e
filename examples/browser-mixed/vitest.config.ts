import {ampProject} from '../../vitest.shared.js';

export default ampProject('example-browser-mixed', {testTimeout: 600_000, hookTimeout: 300_000});
