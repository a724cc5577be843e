// Every ```ts block of the README runs as written (fragments are marked
// `<!-- readme-sample: skip -->` on the line before their fence).
import {describeReadmeSamples} from '@tfjs-amp/test-utils';

describeReadmeSamples(new URL('..', import.meta.url));
