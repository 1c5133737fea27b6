// The catalogue also answers at /courses: the address a learner types, and the parent of every
// /courses/<course> page. `/` stays the home page and shows the same catalogue.
export { default } from '../page'
