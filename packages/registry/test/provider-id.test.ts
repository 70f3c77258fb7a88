import { describe, expect, it } from 'vitest';
import { confusableSkeleton, foldProviderId, providerIdentity } from '../src/index.js';

describe('provider ids', () => {
  describe('foldProviderId', () => {
    it('folds case and compatibility forms (NFKC)', () => {
      expect(foldProviderId('COM.ACME')).toBe('com.acme');
      expect(foldProviderId('ｃｏｍ.ａｃｍｅ')).toBe('com.acme');
      expect(foldProviderId('de.straße')).toBe(foldProviderId('DE.STRASSE'));
    });
  });

  describe('confusableSkeleton (UTS #39)', () => {
    it('maps look-alikes to one skeleton', () => {
      const acme = confusableSkeleton('com.acme');
      expect(confusableSkeleton('com.acrne')).toBe(acme);
      expect(confusableSkeleton('com.аcme')).toBe(acme); // Cyrillic а
      expect(confusableSkeleton('com.ac\u200bme')).toBe(acme); // zero-width space
    });

    it('keeps different ids apart', () => {
      expect(confusableSkeleton('com.acme')).not.toBe(confusableSkeleton('com.acne'));
      expect(confusableSkeleton('org.example')).not.toBe(confusableSkeleton('org.sample'));
    });
  });

  describe('providerIdentity', () => {
    it('takes the skeleton of the folded id, folded again, so case variants share it', () => {
      const acme = providerIdentity('com.acme').skeleton;
      expect(providerIdentity('COM.ACRNE').skeleton).toBe(acme);
      expect(providerIdentity('c0m.acme').skeleton).toBe(acme);
      expect(providerIdentity('com.examp1e').skeleton).toBe(
        providerIdentity('com.example').skeleton,
      );
      expect(providerIdentity('COM.ACME')).toEqual({
        iss: 'COM.ACME',
        folded: 'com.acme',
        skeleton: providerIdentity('com.acme').skeleton,
      });
    });
  });
});
