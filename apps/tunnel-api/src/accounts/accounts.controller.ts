import { ApiRoute } from '../docs/api-route.decorator';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  UseGuards,
} from '@nestjs/common';
import {
  API_ROUTES,
  accountCreateRequestSchema,
  accountPageSchema,
  accountUsageSchema,
  publicAccountSchema,
  accountPasswordRequestSchema,
  accountUpdateRequestSchema,
  pageQuerySchema,
  type AccountUpdateRequest,
  type PageQuery,
} from '@tunnelgate/sessions';
import * as z from 'zod/mini';
import { ApiTokenGuard } from '../auth/api-token.guard';
import { idParam } from '../http/id-param.pipe';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { AccountsService } from './accounts.service';

@Controller(API_ROUTES.accounts)
@UseGuards(ApiTokenGuard)
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post()
  @ApiRoute({
    summary: 'Create an account (the password is stored as an argon2id hash)',
    body: accountCreateRequestSchema,
    response: publicAccountSchema,
    errors: { 409: 'id or username taken' },
  })
  create(
    @Body(new ZodValidationPipe(accountCreateRequestSchema))
    body: z.output<typeof accountCreateRequestSchema>,
  ) {
    return this.accounts.create(body);
  }

  @Get()
  @ApiRoute({
    summary: 'List accounts, paged by id',
    query: pageQuerySchema,
    response: accountPageSchema,
  })
  list(@Query(new ZodValidationPipe(pageQuerySchema)) query: PageQuery) {
    return this.accounts.list(query);
  }

  @Get(':id')
  @ApiRoute({
    summary: 'One account (never its hash)',
    response: publicAccountSchema,
    errors: { 404: 'no such account' },
  })
  get(@Param('id', idParam) id: string) {
    return this.accounts.get(id);
  }

  @Patch(':id')
  @ApiRoute({
    summary: 'Change an account; disabling it ends its sessions',
    body: accountUpdateRequestSchema,
    response: publicAccountSchema,
    errors: { 404: 'no such account' },
  })
  update(
    @Param('id', idParam) id: string,
    @Body(new ZodValidationPipe(accountUpdateRequestSchema)) body: AccountUpdateRequest,
  ) {
    return this.accounts.update(id, body);
  }

  @Put(':id/password')
  @ApiRoute({
    summary: 'Set the password',
    body: accountPasswordRequestSchema,
    response: publicAccountSchema,
    errors: { 404: 'no such account' },
  })
  setPassword(
    @Param('id', idParam) id: string,
    @Body(new ZodValidationPipe(accountPasswordRequestSchema)) body: { password: string },
  ) {
    return this.accounts.setPassword(id, body.password);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiRoute({
    summary: 'Delete an account and end its sessions',
    response: 'no-content',
    errors: { 404: 'no such account' },
  })
  delete(@Param('id', idParam) id: string) {
    return this.accounts.delete(id);
  }

  @Get(':id/usage')
  @ApiRoute({
    summary: 'Bytes used, quota and active sessions',
    response: accountUsageSchema,
    errors: { 404: 'no such account' },
  })
  usage(@Param('id', idParam) id: string) {
    return this.accounts.usage(id);
  }

  @Post(':id/usage/reset')
  @HttpCode(200)
  @ApiRoute({
    summary: 'Reset the used-bytes counter',
    response: publicAccountSchema,
    errors: { 404: 'no such account' },
  })
  resetUsage(@Param('id', idParam) id: string) {
    return this.accounts.resetUsage(id);
  }
}
