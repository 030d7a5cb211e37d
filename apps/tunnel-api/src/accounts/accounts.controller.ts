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
  accountPasswordRequestSchema,
  accountUpdateRequestSchema,
  idSchema,
  pageQuerySchema,
  type AccountUpdateRequest,
  type PageQuery,
} from '@tunnelgate/sessions';
import * as z from 'zod/mini';
import { ApiTokenGuard } from '../auth/api-token.guard';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { AccountsService } from './accounts.service';

const idParam = new ZodValidationPipe(idSchema);

@Controller(API_ROUTES.accounts)
@UseGuards(ApiTokenGuard)
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post()
  create(
    @Body(new ZodValidationPipe(accountCreateRequestSchema))
    body: z.output<typeof accountCreateRequestSchema>,
  ) {
    return this.accounts.create(body);
  }

  @Get()
  list(@Query(new ZodValidationPipe(pageQuerySchema)) query: PageQuery) {
    return this.accounts.list(query);
  }

  @Get(':id')
  get(@Param('id', idParam) id: string) {
    return this.accounts.get(id);
  }

  @Patch(':id')
  update(
    @Param('id', idParam) id: string,
    @Body(new ZodValidationPipe(accountUpdateRequestSchema)) body: AccountUpdateRequest,
  ) {
    return this.accounts.update(id, body);
  }

  @Put(':id/password')
  setPassword(
    @Param('id', idParam) id: string,
    @Body(new ZodValidationPipe(accountPasswordRequestSchema)) body: { password: string },
  ) {
    return this.accounts.setPassword(id, body.password);
  }

  @Delete(':id')
  @HttpCode(204)
  delete(@Param('id', idParam) id: string) {
    return this.accounts.delete(id);
  }

  @Get(':id/usage')
  usage(@Param('id', idParam) id: string) {
    return this.accounts.usage(id);
  }

  @Post(':id/usage/reset')
  resetUsage(@Param('id', idParam) id: string) {
    return this.accounts.resetUsage(id);
  }
}
