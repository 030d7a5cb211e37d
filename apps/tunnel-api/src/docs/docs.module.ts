import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ApiDocument } from './api-document';

@Module({ imports: [DiscoveryModule], providers: [ApiDocument], exports: [ApiDocument] })
export class DocsModule {}
