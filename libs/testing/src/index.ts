export {
  DeciderSpecification,
  type Decider,
  type ErrorExpectation,
  type GivenClause,
  type ThenClause,
  type WhenClause,
} from './decider-specification.ts';
