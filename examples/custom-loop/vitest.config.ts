import {ampProject} from '../../vitest.shared.js';

export default ampProject('example-custom-loop');
