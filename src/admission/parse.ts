import { WasmgateError } from '../errors.js';
import { describeValue } from '../observability/echo.js';
import { admissionApiVersions, operations, type AdmissionApiVersion, type AdmissionReview } from './types.js';

function invalid(why: string): WasmgateError {
  return new WasmgateError('INPUT_INVALID', `not a valid AdmissionReview: ${why}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Checks that a parsed JSON value is an AdmissionReview request wasmgate can decide: known apiVersion,
 * kind AdmissionReview, a request with a uid, kind, operation and (for CREATE/UPDATE) an object.
 */
export function parseAdmissionReview(value: unknown): AdmissionReview & { request: NonNullable<AdmissionReview['request']> } {
  if (!isObject(value)) throw invalid('the body is not a JSON object');
  if (value.kind !== 'AdmissionReview') throw invalid(`kind is ${describeValue(value.kind)}, expected "AdmissionReview"`);
  if (!admissionApiVersions.includes(value.apiVersion as AdmissionApiVersion)) {
    throw invalid(`apiVersion is ${describeValue(value.apiVersion)}, expected one of ${admissionApiVersions.join(', ')}`);
  }
  const request = value.request;
  if (!isObject(request)) throw invalid('it has no request');
  if (typeof request.uid !== 'string' || request.uid === '') throw invalid('request.uid is missing');
  if (!isObject(request.kind) || typeof request.kind.kind !== 'string') throw invalid('request.kind is missing');
  if (!operations.includes(request.operation as (typeof operations)[number])) {
    throw invalid(`request.operation is ${describeValue(request.operation)}, expected one of ${operations.join(', ')}`);
  }
  if ((request.operation === 'CREATE' || request.operation === 'UPDATE') && !isObject(request.object)) {
    throw invalid(`request.object is missing for ${request.operation}`);
  }
  if (request.userInfo !== undefined && !isObject(request.userInfo)) throw invalid('request.userInfo is not an object');
  return value as unknown as AdmissionReview & { request: NonNullable<AdmissionReview['request']> };
}
