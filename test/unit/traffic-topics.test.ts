import { describe, expect, it } from 'vitest';
import {
  fillTopic,
  topicFilterProblem,
  topicMatches,
  topicNameProblem,
  unknownPlaceholders,
} from '../../src/traffic/topics.js';

describe('topic templates', () => {
  it('fills every placeholder, each wherever and however often it appears', () => {
    expect(fillTopic('t/{shard}/{id}/{i}/{stream}/{id}', { id: 'dev-7', i: 7, shard: 2, stream: 'telemetry' })).toBe(
      't/2/dev-7/7/telemetry/dev-7',
    );
  });

  it('names the placeholders it does not know', () => {
    expect(unknownPlaceholders('devices/{id}/{idx}/{}')).toEqual(['idx']);
    expect(unknownPlaceholders('{"id":"{id}","r":"{random:8}","x":{nope}}', ['id', 'random'])).toEqual(['nope']);
    expect(unknownPlaceholders('devices/{id}/{i}')).toEqual([]);
  });
});

describe('topic names and filters', () => {
  it.each([
    ['', 'empty'],
    ['a/+/b', 'wildcards'],
    ['a/#', 'wildcards'],
    ['a\u0000b', 'NUL'],
    ['x'.repeat(65536), '65535'],
  ])('rejects the topic name %#', (topic, why) => {
    expect(topicNameProblem(topic)).toContain(why);
  });

  it('accepts an ordinary topic name', () => {
    expect(topicNameProblem('devices/dev-1/telemetry')).toBeNull();
  });

  it.each([
    ['a/#/b', '#'],
    ['a/b#', '#'],
    ['a/b+/c', '+'],
    ['$share/g', '$share'],
    ['$share//a', '$share'],
    ['', 'empty'],
  ])('rejects the filter %s', (filter, why) => {
    expect(topicFilterProblem(filter)).toContain(why);
  });

  it.each(['#', '+', 'a/+/c', 'a/#', '$share/g/a/+/c'])('accepts the filter %s', (filter) => {
    expect(topicFilterProblem(filter)).toBeNull();
  });
});

describe('topicMatches', () => {
  it.each([
    ['devices/+/telemetry', 'devices/dev-1/telemetry', true],
    ['devices/+/telemetry', 'devices/dev-1/other', false],
    ['devices/+/telemetry', 'devices/dev-1/telemetry/x', false],
    ['devices/#', 'devices', true],
    ['devices/#', 'devices/a/b/c', true],
    ['#', 'a/b', true],
    ['#', '$SYS/broker', false],
    ['+/broker', '$SYS/broker', false],
    ['$SYS/#', '$SYS/broker', true],
    ['a/b', 'a/b', true],
    ['a/b', 'a/b/', false],
    ['$share/group/devices/+/telemetry', 'devices/dev-9/telemetry', true],
    ['$share/group/devices/+/telemetry', 'devices/dev-9/x', false],
    ['$share/bad', 'bad', false],
  ])('%s against %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});
